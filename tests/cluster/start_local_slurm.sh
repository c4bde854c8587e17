#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine (Debian: apt-get install slurm-wlm), for the
# slow test tests/integration/test_slurm_power.py. Needs root. Idempotent: stops running
# daemons first. No accounting database: Snakemake queries job status with squeue.
set -euo pipefail
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=attachstats-local
SlurmctldHost=${host}
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=${host} CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
pkill -x slurmctld || true
pkill -x slurmd || true
pgrep -x munged >/dev/null || (chown -R munge:munge /run/munge /etc/munge 2>/dev/null || true; runuser -u munge -- /usr/sbin/munged || /usr/sbin/munged --force)
sleep 1
/usr/sbin/slurmctld
/usr/sbin/slurmd
for _ in $(seq 30); do
  if sinfo -h -o %T 2>/dev/null | grep -q idle; then sinfo; exit 0; fi
  sleep 1
done
echo "SLURM did not come up; see /var/log/slurm/" >&2
exit 1
