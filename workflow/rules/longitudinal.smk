# Longitudinal analyses of a panel study (a study file with `longitudinal:`). Every rule reads
# the linked waves, results/<study>/waves/linked.csv (written by the waves rules), and writes
# under results/<study>/longitudinal/. Targets: longitudinal_targets(study), added to `all`
# only for studies that have a `longitudinal:` block. The paths, table names and target
# functions are in common.smk ("Longitudinal analyses"), as Snakemake's lint wants.


rule longitudinal_invariance:
    """Measurement invariance of the instrument across waves (configural, metric, scalar; same-item
    residuals correlated across waves), compared as between-group invariance (delta chi2, CFI, RMSEA)."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    input:
        linked=LINKED,
    output:
        table=f"{LONGITUDINAL}/invariance.csv",
        loadings=f"{LONGITUDINAL}/invariance_loadings.csv",
    params:
        study=study_part(*LONGITUDINAL_KEYS),
        code=code_of("longitudinal", "longitudinal_invariance"),
    log:
        f"{RESULTS}/{{study}}/logs/longitudinal_invariance.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/longitudinal_invariance.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/longitudinal_invariance.py"


rule longitudinal_change:
    """Change between two waves: mean change with d_z and d_av, reliable change (Jacobson-Truax) with
    the reliability from the data, clinically significant change; the mean of each score per wave."""
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    input:
        linked=LINKED,
    output:
        **longitudinal_tables("change", "reliable_change", "reliable_change_persons", "trajectory"),
    params:
        study=study_part(*LONGITUDINAL_KEYS),
        code=code_of("longitudinal", "longitudinal_change"),
    log:
        f"{RESULTS}/{{study}}/logs/longitudinal_change.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/longitudinal_change.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/longitudinal_change.py"


rule latent_change:
    """Latent change score models (McArdle 2009) between two waves."""
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    input:
        linked=LINKED,
    output:
        table=f"{LONGITUDINAL}/latent_change.csv",
        fit=f"{LONGITUDINAL}/latent_change_fit.csv",
    params:
        study=study_part(*LONGITUDINAL_KEYS),
        code=code_of("longitudinal", "latent_change"),
    log:
        f"{RESULTS}/{{study}}/logs/latent_change.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/latent_change.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/latent_change.py"


rule lagged_moderation:
    """Outcome at a later wave on its earlier level, focal x moderator and covariates (OLS, HC3), with
    simple slopes and Johnson-Neyman as for the cross-sectional models."""
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    input:
        linked=LINKED,
    output:
        coefficients=f"{LONGITUDINAL}/lagged_moderation.csv",
        fit=f"{LONGITUDINAL}/lagged_fit.csv",
        simple_slopes=f"{LONGITUDINAL}/lagged_simple_slopes.csv",
        johnson_neyman=f"{LONGITUDINAL}/lagged_johnson_neyman.csv",
        slope_curve=f"{LONGITUDINAL}/lagged_slope_curve.csv",
        lines=f"{LONGITUDINAL}/lagged_lines.csv",
        samples=f"{LONGITUDINAL}/lagged_samples.csv",
    params:
        study=study_part(*LONGITUDINAL_KEYS),
        code=code_of("longitudinal", "lagged_moderation"),
    log:
        f"{RESULTS}/{{study}}/logs/lagged_moderation.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/lagged_moderation.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/lagged_moderation.py"


rule riclpm:
    """Random-intercept cross-lagged panel models (Hamaker, Kuiper & Grasman 2015), three or more waves."""
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    input:
        linked=LINKED,
    output:
        table=f"{LONGITUDINAL}/riclpm.csv",
        fit=f"{LONGITUDINAL}/riclpm_fit.csv",
    params:
        study=study_part(*LONGITUDINAL_KEYS),
        code=code_of("longitudinal", "riclpm"),
    log:
        f"{RESULTS}/{{study}}/logs/riclpm.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/riclpm.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/riclpm.py"


rule longitudinal_figures:
    """Spaghetti plot with the mean trajectory, Jacobson-Truax scatter, lagged interaction."""
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    input:
        **longitudinal_tables(
            "trajectory",
            "change",
            "reliable_change_persons",
            "lagged_simple_slopes",
            "lagged_slope_curve",
            "lagged_johnson_neyman",
            "lagged_lines",
        ),
        linked=LINKED,
    output:
        **{name: f"{LONGITUDINAL}/figures/{name}.png" for name in LONGITUDINAL_FIGURES},
        **{f"{name}_pdf": f"{LONGITUDINAL}/figures/{name}.pdf" for name in LONGITUDINAL_FIGURES},
        manifest=f"{LONGITUDINAL}/figures/manifest.csv",
    params:
        study=study_part(*LONGITUDINAL_KEYS),
        code=code_of("longitudinal", "longitudinal_figures"),
        seed=SEED,
    log:
        f"{RESULTS}/{{study}}/logs/longitudinal_figures.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/longitudinal_figures.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/longitudinal_figures.py"


rule longitudinal_text:
    """Results paragraphs of the longitudinal analyses (Markdown), included in the manuscript."""
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    input:
        **longitudinal_tables(*LONGITUDINAL_TABLES),
    output:
        f"{LONGITUDINAL}/results.md",
    params:
        study=study_part(*LONGITUDINAL_KEYS),
        code=code_of("longitudinal", "longitudinal_text"),
    log:
        f"{RESULTS}/{{study}}/logs/longitudinal_text.log",
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/longitudinal_text.py"
