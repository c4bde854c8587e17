# ingested.parquet is kept (not temp): a screening change then reruns validate and what follows
# without reading the raw export again. It holds the declared columns only, as text (about the
# size of clean.parquet), never identifying columns.
rule ingest:
    """Read the raw export, keep only the declared columns (identifiers never pass)."""
    threads: 1
    resources:
        mem_mb=8000,
        runtime=20,
    input:
        data=lambda w: study_of(w)["data"]["path"],
    output:
        f"{RESULTS}/{{study}}/interim/ingested.parquet",
    params:
        study=study_part("data", "id_column", "duration_column", "identifying_columns", "variables", "instruments"),
        code=code_of("ingest", "ingest"),
    log:
        f"{RESULTS}/{{study}}/logs/ingest.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/ingest.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/ingest.py"
