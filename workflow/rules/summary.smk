SUMMARY = f"{RESULTS}/_summary"
SUMMARY_TABLES = ["flow", "cfa_fit", "reliability", "regressions"]


rule cross_study_summary:
    """Sample sizes, reliabilities, CFA fit and coefficients of all studies; pooled effects."""
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    input:
        **{f"{study}__{name}": f"{RESULTS}/{study}/{TABLES[name]}" for study in STUDIES for name in SUMMARY_TABLES},
    output:
        studies=f"{SUMMARY}/studies.csv",
        reliability=f"{SUMMARY}/reliability.csv",
        coefficients=f"{SUMMARY}/coefficients.csv",
        meta=f"{SUMMARY}/meta.csv",
        forest=report(f"{SUMMARY}/forest.png", caption="../report/forest.rst", category="Cross-study"),
    params:
        code=code_of("summary", "cross_study_summary"),
        studies=studies_part(*LABEL_KEYS),
    log:
        f"{SUMMARY}/logs/cross_study_summary.log",
    benchmark:
        f"{SUMMARY}/benchmarks/cross_study_summary.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/cross_study_summary.py"
