# Root entry of a checkout (`make run`, plain `snakemake`). The workflow itself is
# workflow/Snakefile, the file that `attachstats run`, the Snakemake workflow catalog and
# other workflows (as a module) use; an included file cannot set the default target.


include: "workflow/Snakefile"


rule default:
    """Everything rule `all` of workflow/Snakefile makes (the default target of a checkout)."""
    input:
        rules.all.input,
    default_target: True
