"""Times the full `capsim run` path on scenarios/validation/mmc.yaml (M/M/100 at load 0.9,
horizon 200,000 s, warm-up 2,000 s) and prints a result line like the other peers.

    python3 capsim_run.py BUILD_DIR SCENARIO

The wall time is the whole process: scenario loading, the run, report.json and
timeseries.csv. Customers are all arrivals of the run, warm-up included (as bench_mmc
counts them); the mean wait is the report's, over customers after the warm-up.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    build, scenario = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run([os.path.join(build, "capsim"), "run", scenario, "--out", out, "--json"],
                              check=True, stdout=subprocess.PIPE)
        wall = time.perf_counter() - t0
        report = json.loads(proc.stdout)
        with open(os.path.join(out, "timeseries.csv"), newline="") as f:
            customers = sum(int(row["arrivals"]) for row in csv.DictReader(f))
    wait = report["latency_s"]["queue_wait"]["mean"]
    print(f"result engine=capsim-run workload=mmc count={customers} wall_s={wall:.3f} "
          f"rate={customers / wall:.0f} mean_wait_s={wait:.6f}", flush=True)


if __name__ == "__main__":
    main()
