rule markdown_tables:
    """Every result table as formatted Markdown (CSV files stay full precision)."""
    input:
        unpack(table_inputs),
    output:
        expand(f"{RESULTS}/{{{{study}}}}/tables/{{name}}.md", name=TABLES),
    log:
        f"{RESULTS}/{{study}}/logs/markdown_tables.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/markdown_tables.tsv"
    script:
        "../scripts/markdown_tables.py"


rule figures:
    """Figures: exclusion flow, score distributions, dimension scatter, loadings, coefficients."""
    input:
        unpack(table_inputs),
        scores=f"{RESULTS}/{{study}}/scores/scores.csv",
        styles=f"{RESULTS}/{{study}}/scores/attachment_styles.csv",
    output:
        **{name: report(f"{RESULTS}/{{study}}/figures/{name}.png", caption=f"../report/{name}.rst",
                        category="Figures") for name in FIGURES},
    params:
        study=study_of,
    log:
        f"{RESULTS}/{{study}}/logs/figures.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/figures.tsv"
    script:
        "../scripts/figures.py"


rule provenance:
    """Package versions, resolved study config, SHA-256 of inputs, seed."""
    input:
        data=lambda w: study_of(w)["data"]["path"],
        study_file=lambda w: study_of(w)["study_file"],
    output:
        f"{RESULTS}/{{study}}/provenance.json",
    params:
        study=study_of,
        seed=SEED,
    log:
        f"{RESULTS}/{{study}}/logs/provenance.log",
    script:
        "../scripts/provenance.py"


rule report:
    """Self-contained HTML report (figures embedded) of one study."""
    input:
        unpack(table_inputs),
        markdown=rules.markdown_tables.output,
        figures=rules.figures.output,
        provenance=f"{RESULTS}/{{study}}/provenance.json",
    output:
        f"{RESULTS}/{{study}}/report.html",
    params:
        study=study_of,
        figures=FIGURES,
    log:
        f"{RESULTS}/{{study}}/logs/report.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/report.tsv"
    script:
        "../scripts/report.py"
