"""Raw export → clean, keyed, scored rows: ``sniff`` (what a file is), ``readers`` (ingest),
``validate`` (codes, ranges, duplicates, careless-responding hurdles, full accounting),
``scoring``, ``variables`` (reference levels) and ``csvio`` (result tables on disk)."""
