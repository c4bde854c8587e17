rule formatted_tables:
    """Every result table in APA style as Markdown, LaTeX (booktabs) and Word (CSV stays full precision)."""
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    input:
        unpack(table_inputs),
    output:
        expand(f"{RESULTS}/{{{{study}}}}/tables/{{name}}.{{ext}}", name=TABLES, ext=["md", "tex", "docx"]),
    params:
        study=study_part("instruments", "factor_analysis"),
        code=code_of("report", "formatted_tables"),
    log:
        f"{RESULTS}/{{study}}/logs/formatted_tables.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/formatted_tables.tsv"
    script:
        "../scripts/formatted_tables.py"


rule figures:
    """Every figure of the study (PNG and PDF), from the result tables it reads (FIGURE_TABLES)."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    input:
        **{name: f"{RESULTS}/{{study}}/{TABLES[name]}" for name in FIGURE_TABLES},
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
        styles=f"{RESULTS}/{{study}}/scores/attachment_styles.csv",
        clean=f"{RESULTS}/{{study}}/interim/clean.parquet",
    output:
        **{name: report(f"{RESULTS}/{{study}}/figures/{name}.png", caption=f"../report/{name}.rst",
                        category="Figures") for name in FIGURES},
        **{f"{name}_pdf": f"{RESULTS}/{{study}}/figures/{name}.pdf" for name in FIGURES},
    params:
        study=study_part("instruments", "variables", "factor_analysis", "attachment_styles", "outcome_models", "figures"),
        code=code_of("report", "figures"),
    log:
        f"{RESULTS}/{{study}}/logs/figures.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/figures.tsv"
    script:
        "../scripts/figures.py"


rule provenance:
    """Package versions, resolved study config, SHA-256 of inputs, seed."""
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    input:
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
    script:
        "../scripts/provenance.py"


rule report:
    """Self-contained HTML report (figures embedded) of one study."""
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    input:
        unpack(table_inputs),
        formatted=rules.formatted_tables.output,
        figures=lambda w: [f"{RESULTS}/{w.study}/figures/{name}.png" for name in FIGURES],
        provenance=f"{RESULTS}/{{study}}/provenance.json",
        issues=f"{RESULTS}/{{study}}/validation/issues.csv",
    output:
        f"{RESULTS}/{{study}}/report.html",
    params:
        study=study_part("title", "study_file", "instruments", "factor_analysis"),
        code=code_of("report", "report"),
        figures=FIGURES,
        captions={name: Path(workflow.source_path(f"../report/{name}.rst")).read_text(encoding="utf-8")
                  for name in FIGURES},
    log:
        f"{RESULTS}/{{study}}/logs/report.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/report.tsv"
    script:
        "../scripts/report.py"
