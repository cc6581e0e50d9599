# Sourced by scenario.sh after the main scenario (issue 17): a live patch, the lifecycle metrics, and an alert that
# travels the whole way: TaintWatch -> the real Prometheus (the shipped rules) -> the real Alertmanager -> a webhook
# receiver, all on the guest's loopback. The daemon restarts with the main scenario's state directory, so it repeats
# nothing; the policy is the known-good host as `taintwatch baseline` writes it. Results in results/policy/.
# Uses scenario.sh's B, W, R, K, ROOT, start_tw, now_us.
P=$R/policy; mkdir -p "$P" /tmp/policy
SCRAPE=1 # seconds: Prometheus' scrape and evaluation interval here (the test states latencies in these)
echo "$SCRAPE" > "$P/scrape-interval"

pol_metrics() { curl -s 127.0.0.1:9877/metrics > "$P/$1.metrics"; cat /proc/sys/kernel/tainted > "$P/$1.tainted"; }
pol_wait() { # pol_wait STEP SINCE STATUS ALERTNAME [LABEL=VALUE...]: record when the receiver got it, or that it did not
  local step=$1 since=$2; shift 2
  local at; at=$(python3 "$W/alert-receiver.py" wait "$P/notifications.jsonl" "$since" 120 "$@") || at=missed
  echo "$step $since $at" >> "$P/timings"
}
pol_since() { python3 -c 'import time; print("%.3f" % time.time())'; }

"$B" baseline --path.rootfs "$ROOT" -o /tmp/policy/expected.yaml
cp /tmp/policy/expected.yaml "$P/expected-baseline.yaml"

python3 "$W/alert-receiver.py" serve 9095 "$P/notifications.jsonl" &
RECEIVER=$!
cat > /tmp/policy/alertmanager.yml <<AM
route:
  receiver: webhook
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: http://127.0.0.1:9095/
        send_resolved: true
AM
prometheus-alertmanager --config.file=/tmp/policy/alertmanager.yml --storage.path=/tmp/policy/am \
  --web.listen-address=127.0.0.1:9093 --cluster.listen-address= > "$P/alertmanager.log" 2>&1 &
AM=$!
cat > /tmp/policy/prometheus.yml <<PROM
global:
  scrape_interval: ${SCRAPE}s
  evaluation_interval: ${SCRAPE}s
rule_files: ['$W/taintwatch-alerts.yml']
alerting:
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:9093']}]
scrape_configs:
  - job_name: taintwatch
    static_configs: [{targets: ['127.0.0.1:9877']}]
PROM
prometheus --config.file=/tmp/policy/prometheus.yml --storage.tsdb.path=/tmp/policy/prom \
  --web.listen-address=127.0.0.1:9090 > "$P/prometheus.log" 2>&1 &
PROM=$!

start_tw policy --modules.expected-file /tmp/policy/expected.yaml || echo "taintwatch (policy) did not start" >> "$P/errors"
for _ in $(seq 1 240); do
  curl -s '127.0.0.1:9090/api/v1/query?query=up' | grep -q '"value":\[[0-9.]*,"1"\]' && break; sleep 0.5
done
sleep 3
pol_metrics 0-quiet
curl -s 127.0.0.1:9093/api/v2/alerts > "$P/0-quiet.alerts"

# 1. A live patch the role does not expect: a module outside the list, carrying K, which the policy does not allow.
T=$(pol_since); insmod "$K/extra/tw_livepatch.ko"
pol_wait 1-taint-firing "$T" firing TaintWatchUnexpectedTaint module=tw_livepatch flag=K
pol_wait 1-module-firing "$T" firing TaintWatchUnexpectedModule module=tw_livepatch
pol_metrics 1-livepatch
cat /proc/cmdline > "$P/1-cmdline"
(cd /sys/kernel/livepatch && find . | sort) > "$P/1-livepatch-tree"

# 2. The live patch is backed out: disabled, transition finished, module unloaded. The module's alerts resolve; K stays
#    set (taint clears only at reboot), so the host-level alert without a module fires.
T=$(pol_since); echo 0 > /sys/kernel/livepatch/tw_livepatch/enabled
for _ in $(seq 1 120); do [ -d /sys/kernel/livepatch/tw_livepatch ] || break; sleep 0.5; done
rmmod tw_livepatch || echo "rmmod tw_livepatch failed" >> "$P/errors"
pol_wait 2-taint-module-resolved "$T" resolved TaintWatchUnexpectedTaint module=tw_livepatch flag=K
pol_wait 2-module-resolved "$T" resolved TaintWatchUnexpectedModule module=tw_livepatch
pol_wait 2-taint-host-firing "$T" firing TaintWatchUnexpectedTaint flag=K module=
pol_metrics 2-unloaded

# 3. The role's policy now allows live patches (a file edit; the daemon re-reads it): the alert resolves.
T=$(pol_since); sed -i 's/^taint: \[/taint: ["K", /' /tmp/policy/expected.yaml
pol_wait 3-taint-host-resolved "$T" resolved TaintWatchUnexpectedTaint flag=K module=
pol_metrics 3-k-allowed

# 4. A module outside the list, signed by a key the list does not name, stays loaded; adding it to the list silences it.
T=$(pol_since); insmod "$K/extra/tw_staging.ko"
pol_wait 4-module-firing "$T" firing TaintWatchUnexpectedModule module=tw_staging "signer=TaintWatch test module signing key"
pol_metrics 4-staging
T=$(pol_since); sed -i '/^modules:/a\  - name: tw_staging' /tmp/policy/expected.yaml
pol_wait 5-module-resolved "$T" resolved TaintWatchUnexpectedModule module=tw_staging
pol_metrics 5-staging-allowed
rmmod tw_staging
sleep 3
pol_metrics 6-end
cp /tmp/policy/expected.yaml "$P/expected-final.yaml"
curl -s 127.0.0.1:9090/api/v1/rules > "$P/rules.json"
kill "$TW" "$PROM" "$AM" "$RECEIVER"; wait "$TW" 2>/dev/null
journalctl -o json --all --no-pager SYSLOG_IDENTIFIER=taintwatch > "$P/journal.json"
