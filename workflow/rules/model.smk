rule regress:
    """Outcome models declared in the study file (OLS, logit, Poisson, negative binomial): coefficients
    with BH-adjusted p, fit, hierarchical blocks, diagnostics, simple slopes and Johnson-Neyman."""
    threads: 1  # raise with --set-threads <rule>=N: same result on any thread count
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
    output:
        coefficients=f"{RESULTS}/{{study}}/tables/regressions.csv",
        fit=f"{RESULTS}/{{study}}/tables/regression_fit.csv",
        blocks=f"{RESULTS}/{{study}}/tables/regression_blocks.csv",
        diagnostics=f"{RESULTS}/{{study}}/tables/regression_diagnostics.csv",
        simple_slopes=f"{RESULTS}/{{study}}/tables/simple_slopes.csv",
        johnson_neyman=f"{RESULTS}/{{study}}/tables/johnson_neyman.csv",
        slope_curve=f"{RESULTS}/{{study}}/tables/slope_curve.csv",
    params:
        study=study_part("variables", "outcome_models"),
        code=code_of("model", "regress"),
        seed=SEED,
    log:
        f"{RESULTS}/{{study}}/logs/regress.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/regress.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/regress.py"


rule mediate:
    """Mediation models: paths a, b, c, c' and the indirect effect with a seeded percentile bootstrap."""
    threads: 1  # raise with --set-threads <rule>=N: same result on any thread count
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
    output:
        f"{RESULTS}/{{study}}/tables/mediation.csv",
    params:
        study=study_part("variables", "mediation_models"),
        code=code_of("model", "mediate"),
        seed=SEED,
    log:
        f"{RESULTS}/{{study}}/logs/mediate.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/mediate.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/mediate.py"


rule sem:
    """Latent regressions (ML, as lavaan::sem): the instrument's factors predict observed outcomes."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
    output:
        fit=f"{RESULTS}/{{study}}/tables/sem_fit.csv",
        parameters=f"{RESULTS}/{{study}}/tables/sem_parameters.csv",
    params:
        study=study_part("instruments", "sem_models"),
        code=code_of("model", "sem"),
    log:
        f"{RESULTS}/{{study}}/logs/sem.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/sem.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/sem.py"


rule model_samples:
    """Rows used by every outcome, mediation and SEM model, and why the others were not."""
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    input:
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
    output:
        f"{RESULTS}/{{study}}/tables/model_samples.csv",
    params:
        study=study_part("instruments", "variables", "outcome_models", "mediation_models", "sem_models"),
        code=code_of("model", "model_samples"),
    log:
        f"{RESULTS}/{{study}}/logs/model_samples.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/model_samples.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/model_samples.py"
