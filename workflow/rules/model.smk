rule regress:
    """Outcome regressions (OLS, robust SEs) declared in the study file."""
    input:
        f"{RESULTS}/{{study}}/scores/scores.csv",
    output:
        coefficients=f"{RESULTS}/{{study}}/tables/regressions.csv",
        fit=f"{RESULTS}/{{study}}/tables/regression_fit.csv",
    params:
        study=study_of,
    log:
        f"{RESULTS}/{{study}}/logs/regress.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/regress.tsv"
    script:
        "../scripts/regress.py"
