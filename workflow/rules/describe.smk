rule attachment_styles:
    """Four attachment categories by the configured rule (secondary to the dimensions)."""
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    input:
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
    output:
        table=f"{RESULTS}/{{study}}/tables/attachment_styles.csv",
        rows=f"{RESULTS}/{{study}}/scores/attachment_styles.csv",
    params:
        study=study_part("instruments", "attachment_styles"),
        code=code_of("describe", "attachment_styles"),
    log:
        f"{RESULTS}/{{study}}/logs/attachment_styles.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/attachment_styles.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/attachment_styles.py"


rule descriptives:
    """M, SD, alpha and pairwise correlations (95% CI) of scale scores and numeric covariates."""
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    input:
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
        reliability=f"{RESULTS}/{{study}}/tables/reliability.csv",
    output:
        descriptives=f"{RESULTS}/{{study}}/tables/descriptives.csv",
        correlations=f"{RESULTS}/{{study}}/tables/correlations.csv",
        apa=f"{RESULTS}/{{study}}/tables/correlations_apa.md",
    params:
        study=study_part("instruments", "variables", "descriptives"),
        code=code_of("describe", "descriptives"),
    log:
        f"{RESULTS}/{{study}}/logs/descriptives.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/descriptives.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/descriptives.py"
