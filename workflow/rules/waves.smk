# Longitudinal studies (a `waves:` key; README, "Longitudinal studies (waves)"): each wave is
# ingested, validated and scored by the cross-sectional steps with the wave's data block
# (attachstats.spec.waves.wave_study), then the waves are linked by respondent id and the
# dropouts compared with the completers. The cross-sectional rules run on the baseline wave.


wildcard_constraints:
    wave="[A-Za-z][A-Za-z0-9]*",


WAVE_KEYS_INGEST = ("data", "waves", "id_column", "duration_column", "identifying_columns", "variables", "instruments")
WAVE_KEYS_VALIDATE = ("data", "waves", "id_column", "duration_column", "variables", "instruments", "screening")


rule ingest_wave:
    """Read one wave's raw file (or its rows of the long file); identifiers never pass."""
    threads: 1
    resources:
        mem_mb=8000,
        runtime=20,
    input:
        data=lambda w: wave_data_file(STUDIES[w.study], w.wave),
    output:
        temp(f"{RESULTS}/{{study}}/interim/waves/{{wave}}/ingested.parquet"),
    params:
        study=study_part(*WAVE_KEYS_INGEST),
        code=code_of("waves", "ingest_wave"),
    log:
        f"{RESULTS}/{{study}}/logs/ingest_wave_{{wave}}.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/ingest_wave_{{wave}}.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/ingest_wave.py"


rule validate_wave:
    """One wave's validation and screening, with the study's rules; full accounting per wave."""
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    input:
        ingested=f"{RESULTS}/{{study}}/interim/waves/{{wave}}/ingested.parquet",
    output:
        data=f"{RESULTS}/{{study}}/{WAVE_FILES['clean']}",
        exclusions=f"{RESULTS}/{{study}}/{WAVE_FILES['exclusions']}",
        flow=f"{RESULTS}/{{study}}/{WAVE_FILES['flow']}",
        issues=f"{RESULTS}/{{study}}/waves/{{wave}}/validation/issues.csv",
        careless=f"{RESULTS}/{{study}}/waves/{{wave}}/validation/careless.csv",
        report=f"{RESULTS}/{{study}}/waves/{{wave}}/validation/report.md",
    params:
        study=study_part(*WAVE_KEYS_VALIDATE),
        code=code_of("waves", "validate_wave"),
    log:
        f"{RESULTS}/{{study}}/logs/validate_wave_{{wave}}.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/validate_wave_{{wave}}.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/validate_wave.py"


rule score_wave:
    """One wave's scale scores, bands and caseness."""
    threads: 1
    resources:
        mem_mb=6000,
        runtime=20,
    input:
        clean=f"{RESULTS}/{{study}}/{WAVE_FILES['clean']}",
    output:
        scores=f"{RESULTS}/{{study}}/{WAVE_FILES['scores']}",
        summary=f"{RESULTS}/{{study}}/waves/{{wave}}/tables/score_summary.csv",
        bands=f"{RESULTS}/{{study}}/waves/{{wave}}/tables/score_bands.csv",
        caseness=f"{RESULTS}/{{study}}/waves/{{wave}}/tables/caseness.csv",
    params:
        study=study_part("data", "waves", "variables", "instruments"),
        code=code_of("waves", "score_wave"),
    log:
        f"{RESULTS}/{{study}}/logs/score_wave_{{wave}}.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/score_wave_{{wave}}.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/score_wave.py"


rule link_waves:
    """The waves joined by respondent id: linked.csv, the per-wave flow and every unmatched id."""
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    input:
        **{kind: wave_inputs(kind) for kind in WAVE_FILES},
    output:
        linked=f"{RESULTS}/{{study}}/waves/linked.csv",
        flow=f"{RESULTS}/{{study}}/waves/flow.csv",
        unmatched=f"{RESULTS}/{{study}}/waves/unmatched_ids.csv",
    params:
        study=study_part("data", "waves", "variables", "instruments"),
        code=code_of("waves", "link_waves"),
    log:
        f"{RESULTS}/{{study}}/logs/link_waves.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/link_waves.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/link_waves.py"


rule attrition:
    """Completers vs dropouts at each later wave on the baseline variables; logistic model of dropout."""
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    input:
        linked=f"{RESULTS}/{{study}}/waves/linked.csv",
    output:
        f"{RESULTS}/{{study}}/waves/attrition.csv",
    params:
        study=study_part("data", "waves", "variables", "instruments"),
        code=code_of("waves", "attrition"),
    log:
        f"{RESULTS}/{{study}}/logs/attrition.log",
    benchmark:
        f"{RESULTS}/{{study}}/benchmarks/attrition.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/attrition.py"
