rule cfa:
    """Confirmatory factor analysis of the study's attachment instrument and nested-model tests."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        fit=f"{RESULTS}/{{study}}/tables/cfa_fit.csv",
        loadings=f"{RESULTS}/{{study}}/tables/cfa_loadings.csv",
        correlations=f"{RESULTS}/{{study}}/tables/cfa_factor_correlations.csv",
        comparison=f"{RESULTS}/{{study}}/tables/cfa_comparison.csv",
    params:
        study=study_part("instruments", "factor_analysis"),
        code=code_of("measure", "cfa"),
    log:
        f"{RESULTS}/{{study}}/logs/cfa.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/cfa.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/cfa.py"


rule efa:
    """KMO, Bartlett's test, parallel analysis (seeded) and the rotated EFA of the instrument."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        efa_loadings=f"{RESULTS}/{{study}}/tables/efa_loadings.csv",
        efa_factors=f"{RESULTS}/{{study}}/tables/efa_factors.csv",
        efa_factor_correlations=f"{RESULTS}/{{study}}/tables/efa_factor_correlations.csv",
        efa_diagnostics=f"{RESULTS}/{{study}}/tables/efa_diagnostics.csv",
        parallel_analysis=f"{RESULTS}/{{study}}/tables/parallel_analysis.csv",
    params:
        study=study_part("instruments", "factor_analysis"),
        code=code_of("measure", "efa"),
        seed=SEED,
    log:
        f"{RESULTS}/{{study}}/logs/efa.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/efa.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/efa.py"


rule invariance:
    """Measurement invariance (configural, metric, scalar[, strict]) across the grouping variable."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        f"{RESULTS}/{{study}}/tables/invariance.csv",
    params:
        study=study_part("instruments", "factor_analysis", "variables"),
        code=code_of("measure", "invariance"),
    log:
        f"{RESULTS}/{{study}}/logs/invariance.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/invariance.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/invariance.py"


rule cross_validation:
    """Seeded random split: EFA on one part, CFA of the theory model on the other."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        item_table=f"{RESULTS}/{{study}}/tables/cross_validation.csv",
        fit=f"{RESULTS}/{{study}}/tables/cross_validation_fit.csv",
    params:
        study=study_part("instruments", "factor_analysis"),
        code=code_of("measure", "cross_validation"),
        seed=SEED,
    log:
        f"{RESULTS}/{{study}}/logs/cross_validation.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/cross_validation.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/cross_validation.py"
