# Monte Carlo power analysis; not part of `all` (a planning tool): `snakemake power`.
# It needs the library when the workflow is parsed (the power file sets the job grid).
POWER_FILE = config.get("power_config", "config/power.yaml")
POWER = None
if Path(POWER_FILE).exists() and LIBRARY:
    from attachstats.sim.power import PowerSpec

    _power = read_yaml(POWER_FILE, "power config")
    if "power_chunk_size" in config:
        _power["chunk_size"] = config["power_chunk_size"]
    POWER = PowerSpec.from_dict(_power, seed=SEED, origin=POWER_FILE)
POWER_DIR = f"{RESULTS}/power"
# without the library the grid is unknown: `snakemake power` then names this as its missing input
NEEDS_LIBRARY = [] if LIBRARY else ["the power analysis needs a Snakemake that can import attachstats"]


rule power_chunk:
    """One chunk of replications at one sample size."""
    input:
        POWER_FILE,
        POWER.simulation if POWER else [],
    output:
        f"{POWER_DIR}/chunks/n{{n}}_chunk{{chunk}}.csv",
    params:
        spec=POWER,
        n=lambda w: int(w.n),
        chunk=lambda w: int(w.chunk),
        code=code_of("power", "power_chunk"),
    wildcard_constraints:
        n=r"\d+",
        chunk=r"\d+",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    log:
        f"{POWER_DIR}/logs/n{{n}}_chunk{{chunk}}.log",
    benchmark:
        f"{POWER_DIR}/benchmarks/n{{n}}_chunk{{chunk}}.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/power_chunk.py"


rule power:
    """Power, bias and coverage per effect and sample size, and the power curve."""
    input:
        NEEDS_LIBRARY,
        chunks=expand(
            f"{POWER_DIR}/chunks/n{{n}}_chunk{{chunk}}.csv",
            n=POWER.sample_sizes if POWER else [],
            chunk=POWER.chunks() if POWER else [],
        ),
    output:
        table=f"{POWER_DIR}/power.csv",
        figure=report(f"{POWER_DIR}/power_curve.png", caption="../report/power_curve.rst", category="Power"),
    params:
        spec=POWER,
        code=code_of("power", "power"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    log:
        f"{POWER_DIR}/logs/power.log",
    benchmark:
        f"{POWER_DIR}/benchmarks/power.tsv"
    conda:
        "../envs/attachstats.yaml"
    script:
        "../scripts/power.py"
