rule formatted_tables:
    """Every result table in APA style as Markdown, LaTeX (booktabs) and Word (CSV stays full precision)."""
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    input:
        unpack(table_inputs),
    output:
        expand(
            f"{RESULTS}/{{{{study}}}}/tables/{{name}}.{{ext}}",
            name=[*TABLES, COMBINED_TABLES],
            ext=["md", "tex", "docx"],
        ),
        f"{RESULTS}/{{study}}/tables/{LABELS_FILE}",
    params:
        study=study_part(*LABEL_KEYS),
        code=code_of("report", "formatted_tables"),
    log:
        f"{RESULTS}/{{study}}/logs/formatted_tables.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/formatted_tables.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/formatted_tables.py"


rule figures_data:
    """Figures of the data: flow, score and item distributions, dimensions, correlations."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    input:
        **{name: f"{RESULTS}/{{study}}/{TABLES[name]}" for name in GROUP_TABLES["figures_data"]},
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
        styles=f"{RESULTS}/{{study}}/scores/attachment_styles.csv",
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        **{name: f"{RESULTS}/{{study}}/figures/{name}.png" for name in FIGURE_GROUPS["figures_data"]},
        **{f"{name}_pdf": f"{RESULTS}/{{study}}/figures/{name}.pdf" for name in FIGURE_GROUPS["figures_data"]},
        manifest=f"{RESULTS}/{{study}}/figures/figures_data_manifest.csv",
    params:
        study=study_part("variables", "instruments", "factor_analysis", "attachment_styles", "figures"),
        code=code_of("report", "figures_data"),
    log:
        f"{RESULTS}/{{study}}/logs/figures_data.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/figures_data.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/figures_data.py"


rule figures_factor:
    """Figures of the factor analysis: CFA loadings and path diagram, scree, EFA loadings."""
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    input:
        **{name: f"{RESULTS}/{{study}}/{TABLES[name]}" for name in GROUP_TABLES["figures_factor"]},
    output:
        **{name: f"{RESULTS}/{{study}}/figures/{name}.png" for name in FIGURE_GROUPS["figures_factor"]},
        **{f"{name}_pdf": f"{RESULTS}/{{study}}/figures/{name}.pdf" for name in FIGURE_GROUPS["figures_factor"]},
        manifest=f"{RESULTS}/{{study}}/figures/figures_factor_manifest.csv",
    params:
        study=study_part("variables", "instruments", "factor_analysis"),
        code=code_of("report", "figures_factor"),
    log:
        f"{RESULTS}/{{study}}/logs/figures_factor.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/figures_factor.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/figures_factor.py"


rule figures_models:
    """Figures of the outcome models: coefficients, interactions, mediation, partial regressions, SEM path diagrams."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    input:
        **{name: f"{RESULTS}/{{study}}/{TABLES[name]}" for name in GROUP_TABLES["figures_models"]},
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
    output:
        **{name: f"{RESULTS}/{{study}}/figures/{name}.png" for name in FIGURE_GROUPS["figures_models"]},
        **{f"{name}_pdf": f"{RESULTS}/{{study}}/figures/{name}.pdf" for name in FIGURE_GROUPS["figures_models"]},
        manifest=f"{RESULTS}/{{study}}/figures/figures_models_manifest.csv",
    params:
        study=study_part("variables", "instruments", "outcome_models", "mediation_models", "sem_models", "figures"),
        code=code_of("report", "figures_models"),
    log:
        f"{RESULTS}/{{study}}/logs/figures_models.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/figures_models.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/figures_models.py"


rule provenance:
    """Package versions, resolved study config, SHA-256 of inputs, seed."""
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    input:
        unpack(wave_file_inputs),  # longitudinal studies: the later waves' files
        data=lambda w: study_of(w)["data"]["path"],
        study_file=lambda w: study_of(w)["study_file"],
    output:
        f"{RESULTS}/{{study}}/provenance.json",
    params:
        study=study_of,
        code=code_of("report", "provenance"),
        seed=SEED,
    log:
        f"{RESULTS}/{{study}}/logs/provenance.log",
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/provenance.py"


rule report:
    """The manuscript of one study: self-contained HTML (figures embedded) and one Word document."""
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    input:
        unpack(table_inputs),
        unpack(waves_report_inputs),  # longitudinal studies only
        formatted=rules.formatted_tables.output,
        figures=lambda w: [f"{RESULTS}/{w.study}/figures/{name}.png" for name in FIGURES],
        manifests=lambda w: [f"{RESULTS}/{w.study}/figures/{group}_manifest.csv" for group in FIGURE_GROUPS],
        provenance=f"{RESULTS}/{{study}}/provenance.json",
        issues=f"{RESULTS}/{{study}}/validation/issues.csv",
        # panel studies: the longitudinal paragraphs (workflow/rules/longitudinal.smk)
        longitudinal=lambda w: longitudinal_report_inputs(w.study),
    output:
        html=f"{RESULTS}/{{study}}/report.html",
        docx=f"{RESULTS}/{{study}}/report.docx",
        # the drawn figures only (links to figures/<name>.png), for `snakemake --report`
        drawn=report(
            directory(f"{RESULTS}/{{study}}/figures/drawn"),
            patterns=["{figure}.png"],
            caption="../report/figure.rst",
            category="Figures",
        ),
    params:
        study=study_part(
            "title",
            "study_file",
            "instruments",
            "factor_analysis",
            "variables",
            "screening",
            "outcome_models",
            "mediation_models",
            "sem_models",
            "waves",
        ),
        code=code_of("report", "report"),
        figures=FIGURES,
        captions=FIGURE_CAPTIONS,
    log:
        f"{RESULTS}/{{study}}/logs/report.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/report.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/report.py"
