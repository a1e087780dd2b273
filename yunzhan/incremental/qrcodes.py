"""Placard QR codes kept in the build store by the code that drew them, read where a placard shows them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from markupsafe import Markup

from yunzhan.incremental.fingerprints import digest
from yunzhan.incremental.store import Store
from yunzhan.incremental.textpack import TextPack


class KeptQrCodes(Mapping[tuple[str, str], Markup]):
    """Placard QR codes (``placards.QrCodes``) as the store keeps them, by the code that drew them too (another
    version of yunzhan may draw them otherwise), each read when a placard shows it: a build holds none it does
    not show (12,000 drawings at 10,000 records, ~20 MB, held through rendering)."""

    def __init__(self, store: Store, code: str) -> None:
        self.store = store
        self.code = code
        self.packed: dict[tuple[str, str], tuple[TextPack, int]] = {}
        self.drawn: set[tuple[str, str]] = set()  # by this build: not committed yet

    def key(self, args: tuple[str, str]) -> str:
        return digest(self.code, *args)

    def missing(self, wanted: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Of ``wanted``, those the store has no drawing of."""
        kept = self.store.keys("qr")  # one query, not one a placard
        return [args for args in dict.fromkeys(wanted) if self.key(args) not in kept]

    def keep(self, args: tuple[str, str], svg: Markup) -> None:
        self.store.put("qr", self.key(args), svg)
        self.drawn.add(args)

    def pack(self, wanted: Iterable[tuple[str, str]], pack: TextPack) -> None:
        """Those of these drawn by this build (not committed yet) read now into ``pack``: for forked renderers;
        the others are read where shown (``Store.committed``)."""
        for args in dict.fromkeys(wanted):
            if args not in self.drawn:
                continue
            found = self.store.get("qr", self.key(args))
            if found is not None:
                self.packed[args] = (pack, pack.add(found))

    def __getitem__(self, args: tuple[str, str]) -> Markup:
        packed = self.packed.get(args)
        if packed is not None:
            return packed[0].markup(packed[1])
        found = self.store.committed("qr", self.key(args))
        if found is None:
            raise KeyError(args)
        return found  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(())  # looked up by request only

    def __len__(self) -> int:
        return 0
