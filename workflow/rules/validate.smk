rule validate:
    """Missing codes, ranges, duplicates and careless-responding hurdles; full accounting."""
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    input:
        ingested=f"{RESULTS}/{{study}}/interim/ingested.parquet",
    output:
        data=f"{RESULTS}/{{study}}/interim/clean.parquet",
        exclusions=f"{RESULTS}/{{study}}/validation/exclusions.csv",
        flow=f"{RESULTS}/{{study}}/validation/flow.csv",
        issues=f"{RESULTS}/{{study}}/validation/issues.csv",
        careless=f"{RESULTS}/{{study}}/validation/careless.csv",
        report=f"{RESULTS}/{{study}}/validation/report.md",
    params:
        study=study_part("data", "id_column", "duration_column", "variables", "instruments", "screening"),
        code=code_of("validate", "validate"),
    log:
        f"{RESULTS}/{{study}}/logs/validate.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/validate.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/validate.py"
