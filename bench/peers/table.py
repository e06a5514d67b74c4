"""Reads the `result ...` lines of bench/peers/run.sh and prints the best rate of each engine
and workload over the rounds, the ratio to capsim's engine (= 1.0) and the M/M/c check.

    python3 table.py RESULTS_FILE
"""
import sys

ERLANG_C_WAIT = 0.021694  # M/M/100, a = 90 Erlangs, service mean 1 s
TOLERANCE = 0.03          # relative; widened to the run's 95% confidence interval when wider
ORDER = ["capsim", "capsim-run", "ns3-map", "ns3-heap", "ns3-calendar", "ns3-priority-queue",
         "simgrid-timers", "simgrid-actors", "simpy"]


def parse(path):
    best = {}
    for line in open(path):
        if not line.startswith("result "):
            continue
        r = dict(kv.split("=", 1) for kv in line.split()[1:])
        key = (r["engine"], r["workload"])
        if key not in best or float(r["rate"]) > float(best[key]["rate"]):
            best[key] = r
    return best


def check(r):
    wait = float(r["mean_wait_s"])
    dev = wait / ERLANG_C_WAIT - 1
    ci = float(r["ci95_s"]) if "ci95_s" in r else None
    tol = TOLERANCE if ci is None else max(TOLERANCE, ci / ERLANG_C_WAIT)
    ci_text = f"±{ci / ERLANG_C_WAIT:.1%}" if ci is not None else "   n/a"
    n = int(r["count"]) / 1e6
    return f"{n:>5.1f}M {wait:.5f} {ci_text:>7} {dev:+6.1%} {'ok' if abs(dev) <= tol else 'FAIL'}", abs(dev) <= tol


def main():
    best = parse(sys.argv[1])
    engines = [e for e in ORDER if any(k[0] == e for k in best)]
    engines += sorted({k[0] for k in best} - set(engines))
    base = {w: float(best[("capsim", w)]["rate"]) for w in ("hold", "mmc") if ("capsim", w) in best}
    print(f"{'engine':<20} {'hold events/s':>14} {'ratio':>6}   {'M/M/c cust/s':>13} {'ratio':>6}"
          f"   {'cust.':>6} {'wait s':>7} {'ci95':>7} {'vs EC':>6} check")
    failed = False
    for e in engines:
        cells = []
        for w in ("hold", "mmc"):
            r = best.get((e, w))
            if r is None:
                cells.append(f"{'-':>14} {'':>6}" if w == "hold" else f"{'-':>13} {'':>6}")
                continue
            rate = float(r["rate"])
            ratio = f"{rate / base[w]:.3f}" if w in base else ""
            cells.append(f"{rate:>14,.0f} {ratio:>6}" if w == "hold" else f"{rate:>13,.0f} {ratio:>6}")
        text = ""
        if (e, "mmc") in best:
            text, ok = check(best[(e, "mmc")])
            failed |= not ok
        print(f"{e:<20} {cells[0]}   {cells[1]}   {text}")
    print(f"Erlang C mean wait {ERLANG_C_WAIT} s; check: within {TOLERANCE:.0%} or within the run's 95% "
          "confidence interval (batch means) when that is wider.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
