rule score:
    """Reverse keys, subscale scores with proration, severity bands, caseness and item flags."""
    threads: 1
    resources:
        mem_mb=6000,
        runtime=20,
    input:
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
        summary=f"{RESULTS}/{{study}}/tables/score_summary.csv",
        bands=f"{RESULTS}/{{study}}/tables/score_bands.csv",
        caseness=f"{RESULTS}/{{study}}/tables/caseness.csv",
    params:
        study=study_part("variables", "instruments"),
        code=code_of("score", "score"),
    log:
        f"{RESULTS}/{{study}}/logs/score.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/score.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/score.py"


rule reliability:
    """Cronbach's alpha (Feldt and bootstrap CIs), omega (psych::omega) per subscale, item statistics."""
    threads: 1  # raise with --set-threads <rule>=N: same result on any thread count
    resources:
        mem_mb=6000,
        runtime=60,
    input:
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        scales=f"{RESULTS}/{{study}}/tables/reliability.csv",
        item_table=f"{RESULTS}/{{study}}/tables/reliability_items.csv",
    params:
        study=study_part("instruments", "reliability"),
        code=code_of("score", "reliability"),
        seed=SEED,
    log:
        f"{RESULTS}/{{study}}/logs/reliability.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/reliability.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/reliability.py"
