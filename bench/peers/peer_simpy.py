"""SimPy 3 peer: the hold model and M/M/c, written the usual SimPy way (processes that
yield timeouts; a simpy.Resource with capacity c as the FIFO server pool).

    python3 peer_simpy.py hold|mmc COUNT

Hold: 1,000 processes, each looping on `yield env.timeout(Exp(1))`; COUNT timeouts in all.
M/M/c: a source process yields Exp(1/90) timeouts and starts one customer process per
arrival; a customer requests the resource (c = 100), records its wait, yields an Exp(1)
timeout and releases. COUNT arrivals.
"""
import random
import sys
import time

import simpy

PENDING = 1000
SERVERS = 100
RATE = 90.0
WARMUP = 100.0
BATCHES = 20


def report(workload, count, wall, extra=""):
    print(f"result engine=simpy workload={workload} count={count} wall_s={wall:.3f} "
          f"rate={count / wall:.0f}{extra}", flush=True)


def hold(count):
    env = simpy.Environment()
    rng = random.Random(42)
    left = [count]
    finished = env.event()

    def proc():
        expo = rng.expovariate
        while True:
            yield env.timeout(expo(1.0))
            left[0] -= 1
            if left[0] == 0:
                finished.succeed()

    for _ in range(PENDING):
        env.process(proc())
    t0 = time.perf_counter()
    env.run(until=finished)
    report("hold", count, time.perf_counter() - t0)


def mmc(count):
    env = simpy.Environment()
    rng = random.Random(42)
    servers = simpy.Resource(env, capacity=SERVERS)
    waits = []
    last = env.event()

    def customer(arrived):
        with servers.request() as req:
            yield req
            if arrived >= WARMUP:
                waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1.0))

    def source():
        for _ in range(count):
            yield env.timeout(rng.expovariate(RATE))
            env.process(customer(env.now))
        last.succeed()

    env.process(source())
    t0 = time.perf_counter()
    env.run(until=last)
    wall = time.perf_counter() - t0
    report("mmc", count, wall, " " + wait_fields(waits))


def wait_fields(waits):
    """Mean wait and the half-width of its 95% confidence interval by batch means."""
    n = len(waits) // BATCHES
    if n == 0:  # too few customers after the warm-up: the check will fail
        return "mean_wait_s=0 ci95_s=0"
    means = [sum(waits[i * n:(i + 1) * n]) / n for i in range(BATCHES)]
    grand = sum(means) / BATCHES
    var = sum((m - grand) ** 2 for m in means) / (BATCHES - 1)
    return f"mean_wait_s={sum(waits) / len(waits):.6f} ci95_s={2.093 * (var / BATCHES) ** 0.5:.6f}"


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("hold", "mmc"):
        sys.exit("usage: peer_simpy.py hold|mmc COUNT")
    (hold if sys.argv[1] == "hold" else mmc)(int(sys.argv[2]))
