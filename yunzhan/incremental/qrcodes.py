"""Placard QR codes kept in the build store by the code that drew them, read where a placard shows them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from markupsafe import Markup

from yunzhan.incremental.fingerprints import digest
from yunzhan.incremental.store import Store
from yunzhan.incremental.textpack import TextPack, packed, unpacked


class KeptQrCodes(Mapping[tuple[str, str], Markup]):
    """Placard QR codes (``placards.QrCodes``) as the store keeps them, by the code that drew them too (another
    version of yunzhan may draw them otherwise), each read when a placard shows it: a build holds none it does
    not show (12,000 drawings at 10,000 records, ~20 MB, held through rendering). Kept compressed
    (``textpack.packed``); with a ``pack``, those drawn now are kept there too, as drawn, for forked renderers."""

    def __init__(self, store: Store, code: str, pack: TextPack | None = None) -> None:
        self.store = store
        self.code = code
        self.into = pack
        self.packed: dict[tuple[str, str], tuple[TextPack, int]] = {}
        self.drawn: set[tuple[str, str]] = set()  # by this build: not committed yet

    def key(self, args: tuple[str, str]) -> str:
        return digest(self.code, *args)

    def missing(self, wanted: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Of ``wanted``, those the store has no drawing of."""
        kept = self.store.keys("qr")  # one query, not one a placard
        return [args for args in dict.fromkeys(wanted) if self.key(args) not in kept]

    def keep(self, args: tuple[str, str], svg: Markup) -> None:
        data = packed(svg)
        self.store.put("qr", self.key(args), data, plain=True)
        self.drawn.add(args)
        if self.into is not None:
            self.packed[args] = (self.into, self.into.add_packed(data))

    def pack(self, wanted: Iterable[tuple[str, str]], pack: TextPack) -> None:
        """Those of these drawn by this build (not committed yet) read now into ``pack``: for forked renderers;
        the others are read where shown (``Store.committed``)."""
        for args in dict.fromkeys(wanted):
            if args not in self.drawn or args in self.packed:
                continue
            found = self.store.get("qr", self.key(args))
            if found is not None:
                self.packed[args] = (pack, pack.add_packed(found))

    def __getitem__(self, args: tuple[str, str]) -> Markup:
        packed = self.packed.get(args)
        if packed is not None:
            return packed[0].markup(packed[1])
        found = self.store.committed("qr", self.key(args))
        if found is None:
            raise KeyError(args)
        return Markup(unpacked(found))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(())  # looked up by request only

    def __len__(self) -> int:
        return 0
