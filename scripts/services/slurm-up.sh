#!/usr/bin/env bash
# Start a single-node Slurm 22.05 (Debian bookworm) cluster on loopback, for integration tests.
# The partition oversubscribes each core 4 times, so that a 2-core machine can run more jobs at once
# than an array's throttle allows (the throttle test needs that to mean anything).
# Usage: bash scripts/services/slurm-up.sh            (controller + node, no accounting -> use scontrol/squeue)
#        WITH_SACCT=1 bash slurm-up.sh (adds MariaDB + slurmdbd so that sacct works)
set -euo pipefail
T0=$(date +%s%N)
export DEBIAN_FRONTEND=noninteractive
PKGS="slurm-wlm slurmctld slurmd slurm-client munge"
[ "${WITH_SACCT:-0}" = 1 ] && PKGS="$PKGS slurmdbd mariadb-server"
# Packages already installed are not fetched again; wait for another apt instead of failing.
missing=$(for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing ${APT_EXTRA_OPTS:-} >/dev/null
fi
T1=$(date +%s%N)

NODE=$(hostname -s)
CPUS=${SLURM_TEST_CPUS:-2}
ACCT_LINES="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
if [ "${WITH_SACCT:-0}" = 1 ]; then
  ACCT_LINES="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30"
fi
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
${ACCT_LINES}
KillWait=5
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
mkdir -p /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
chown slurm:slurm /var/lib/slurm/slurmctld /var/log/slurm

# munge: the package's postinst creates /etc/munge/munge.key; make one if it did not
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge && chown munge:munge /run/munge
# Already running (a cluster started earlier on this machine): keep it.
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
running /run/munge/munged.pid || runuser -u munge -- /usr/sbin/munged
munge -n | unmunge >/dev/null

if [ "${WITH_SACCT:-0}" = 1 ]; then
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 >/var/log/slurm/mariadb.log 2>&1 &
  echo $! > /run/ci-mariadbd.pid
  for i in $(seq 1 100); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 0.2; done
  mariadb -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpw';
              CREATE DATABASE IF NOT EXISTS slurm_acct_db;
              GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=slurm
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3306
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
CONF
  chown slurm:slurm /etc/slurm/slurmdbd.conf; chmod 600 /etc/slurm/slurmdbd.conf
  /usr/sbin/slurmdbd
  for i in $(seq 1 100); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.2; done
fi

running /run/slurmctld.pid || /usr/sbin/slurmctld
running /run/slurmd.pid || /usr/sbin/slurmd
for i in $(seq 1 150); do
  st=$(sinfo -h -N -o '%T' 2>/dev/null || true)
  [ "$st" = idle ] && break
  # A node drained under an earlier configuration (state is kept in StateSaveLocation): back to service.
  case "$st" in drain*|down*) scontrol update nodename="$NODE" state=resume 2>/dev/null || true ;; esac
  sleep 0.2
done
sinfo -h -N -o '%T' | grep -qx idle || { echo "node not idle"; sinfo -N -l; tail -20 /var/log/slurm/*.log; exit 1; }
T2=$(date +%s%N)
echo "slurm-up: install $(( (T1-T0)/1000000 )) ms, start-to-idle $(( (T2-T1)/1000000 )) ms, total $(( (T2-T0)/1000000 )) ms"
sinfo
