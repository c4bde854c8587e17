# Root entry of a checkout (`make run`, plain `snakemake`). The workflow itself is
# workflow/Snakefile, the file that `attachstats run`, the Snakemake workflow catalog and
# other workflows (as a module) use. The `include:` directive would keep the default target
# of this file (none), so the include is called with the option Snakemake's own module
# loader uses: rule `all` of workflow/Snakefile stays the default target.
workflow.include("workflow/Snakefile", overwrite_default_target=True)
