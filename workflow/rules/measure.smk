rule cfa:
    """Confirmatory factor analysis (ML) of the study's attachment instrument."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        fit=f"{RESULTS}/{{study}}/tables/cfa_fit.csv",
        loadings=f"{RESULTS}/{{study}}/tables/cfa_loadings.csv",
        correlations=f"{RESULTS}/{{study}}/tables/cfa_factor_correlations.csv",
    params:
        study=study_of,
    log:
        f"{RESULTS}/{{study}}/logs/cfa.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/cfa.tsv"
    script:
        "../scripts/cfa.py"
