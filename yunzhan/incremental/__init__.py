"""Reuse, as a layer of its own: what makes a rebuild cost what it changes.

- ``stamp``: a no-change rebuild stops after two walks of the disk.
- ``fingerprints``: stable digests of what pages and site-wide files read (``DepKey``).
- ``tracking``: the Jinja environment that notes what each page reads.
- ``store``: the SQLite build store, read and written by key.
- ``memos``: stage calls wrapped with lookups in the store.
- ``session``: what ``serve`` keeps between builds.

The stages never import this package: the pipeline wraps their calls.
"""
