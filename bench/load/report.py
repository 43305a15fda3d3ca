#!/usr/bin/env python3
"""Tables of the load benchmark, from bench/load/run's results.

    report.py RESULTS.tsv META.txt > report.md        # the Markdown section
    report.py --write BENCHMARKS.md report.md         # put it between the load-bench markers
"""

import statistics
import sys

BEGIN = "<!-- load-bench:begin (written by bench/load/run; edits here are overwritten) -->"
END = "<!-- load-bench:end -->"

ORDER = [
    "no-auth",
    "no-auth-axum07",
    "guard-cache-off",
    "guard-cache-on",
    "hand-written",
    "jwt-authorizer",
    "axum-jwt-auth",
]
LABEL = {
    "no-auth": "no auth (axum 0.8)",
    "no-auth-axum07": "no auth (axum 0.7)",
    "guard-cache-off": "jwks-guard, cache off",
    "guard-cache-on": "jwks-guard, cache on",
    "hand-written": "hand-written jsonwebtoken",
    "jwt-authorizer": "jwt-authorizer (axum 0.7)",
    "axum-jwt-auth": "axum-jwt-auth",
}


def order(names):
    return sorted(names, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))


def num(n, digits=0):
    return f"{n:,.{digits}f}"


def ratio(value, base):
    if not base or value is None:
        return "–"
    return f"{value / base:.2f}×"


def read(results_path, meta_path):
    rows = [line.rstrip("\n").split("\t") for line in open(results_path) if line.strip()]
    meta, crates = {}, {}
    for line in open(meta_path):
        parts = line.rstrip("\n").split("\t")
        if parts[0] == "crate":
            crates[parts[1]] = parts[2] if len(parts) > 2 else "?"
        elif len(parts) > 1:
            meta[parts[0]] = parts[1]
    return rows, meta, crates


def throughput(rows, kind="throughput"):
    by = {}
    for r in rows:
        if r[0] != kind:
            continue
        _, variant, _round, requests, duration_us, p50, p99, non2xx, sock, cpu_us = r[:10]
        by.setdefault(variant, []).append(
            dict(
                rps=int(requests) / (int(duration_us) / 1e6),
                p50=int(p50),
                p99=int(p99),
                requests=int(requests),
                errors=int(non2xx) + int(sock),
                cpu_us=int(cpu_us),
            )
        )
    out = {}
    for variant, runs in by.items():
        out[variant] = dict(
            rps=statistics.median(r["rps"] for r in runs),
            p50=statistics.median(r["p50"] for r in runs),
            p99=statistics.median(r["p99"] for r in runs),
            cpu=sum(r["cpu_us"] for r in runs) / max(1, sum(r["requests"] for r in runs)),
            errors=sum(r["errors"] for r in runs),
            rounds=len(runs),
            spread=(min(r["rps"] for r in runs), max(r["rps"] for r in runs)),
        )
    return out


def render(rows, meta, crates):
    smoke = meta.get("smoke") == "1"
    t = throughput(rows)
    pending = {r[1]: r[2] if len(r) > 2 else "" for r in rows if r[0] == "pending"}
    base, hand = t.get("no-auth"), t.get("hand-written")
    o = []
    w = o.append
    w(BEGIN)
    w("")
    if smoke:
        w(
            "**Smoke run** (`SMOKE=1`: seconds-long rounds on a machine busy with other work). "
            "It shows that the harness works end to end; its numbers are not a measurement."
        )
        w("")
    w(
        f"Run of {meta.get('date', '?')}, commit {meta.get('commit', '?')}: {meta.get('cpu', '?')}, "
        f"{meta.get('cpus', '?')} CPUs, {meta.get('kernel', '?')}, load average at the end "
        f"{meta.get('load', '?')}; {meta.get('rustc', '?')}, {meta.get('wrk', '?')}. Crates: "
        + ", ".join(f"{name} {version}" for name, version in crates.items())
        + f". Command: `{meta.get('settings', '')} bench/load/run` (the run took "
        f"{meta.get('elapsed', '?')} s)."
    )
    w("")
    w("### Throughput, one server core, RS256, clients reusing their token")
    w("")
    w(
        "Medians over the rounds; ratios are to the no-auth route (axum 0.8) and to the "
        "hand-written extractor of the same run (req/s: higher is better; latency and CPU: lower "
        "is better). Server CPU is user + system time of the whole server process per request."
    )
    w("")
    w(
        "| variant | req/s | × no-auth | × hand-written | p50 µs | p50 × no-auth / × hand | "
        "p99 µs | p99 × no-auth / × hand | server CPU µs/req | CPU × hand | errors |"
    )
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for variant in order(set(t) | set(pending)):
        label = LABEL.get(variant, variant)
        if variant in pending:
            w(f"| {label} | pending | | | | | | | | | |")
            continue
        v = t[variant]
        w(
            f"| {label} | {num(v['rps'])} | {ratio(v['rps'], base and base['rps'])} | "
            f"{ratio(v['rps'], hand and hand['rps'])} | {num(v['p50'])} | "
            f"{ratio(v['p50'], base and base['p50'])} / {ratio(v['p50'], hand and hand['p50'])} | "
            f"{num(v['p99'])} | {ratio(v['p99'], base and base['p99'])} / "
            f"{ratio(v['p99'], hand and hand['p99'])} | {num(v['cpu'], 1)} | "
            f"{ratio(v['cpu'], hand and hand['cpu'])} | {v['errors']} |"
        )
    for variant, reason in pending.items():
        w("")
        w(f"`{variant}` did not run: {reason.strip().removeprefix('load-bench: ')}")
    w("")
    w("Targets (ratios from this run):")
    w("")
    off, on = t.get("guard-cache-off"), t.get("guard-cache-on")
    if off and hand:
        r = off["rps"] / hand["rps"]
        verdict = "met" if r >= 1.25 else f"missed by {(1.25 - r) / 1.25:.0%} of the target"
        w(
            f"- cache off ≥ 1.25× the hand-written extractor's req/s: **{r:.2f}×**, {verdict}. "
            f"By server CPU per request, which a busy machine disturbs less than req/s: "
            f"{hand['cpu'] / off['cpu']:.2f}× the hand-written extractor's requests per CPU second."
        )
    if on and base:
        r = on["rps"] / base["rps"]
        verdict = "met" if r >= 0.8 else f"missed by {(0.8 - r) / 0.8:.0%} of the target"
        w(
            f"- cache on ≥ 0.8× the no-auth route's req/s: **{r:.2f}×**, {verdict}. By server "
            f"CPU per request: {base['cpu'] / on['cpu']:.2f}× the no-auth route's requests per "
            f"CPU second."
        )
    elif "guard-cache-on" in pending:
        w("- cache on ≥ 0.8× the no-auth route's req/s: pending (no verified-token cache yet).")
    w("")

    floods = [r for r in rows if r[0] == "flood"]
    if floods:
        secs = floods[0][-1]
        w(f"### Random-`kid` flood ({secs} s, fresh server per variant)")
        w("")
        w(
            "Valid requests first alone, then the same valid load while other connections send "
            "tokens naming random unknown `kid`s (every flood request must be rejected). Provider "
            "fetches are the issuer's discovery and JWKS requests during the flood."
        )
        w("")
        w(
            "| variant | provider fetches | flood req/s (rejected) | valid req/s alone → during | "
            "valid p50 µs alone → during | valid p99 µs alone → during | valid rejected |"
        )
        w("|---|---|---|---|---|---|---|")
        for r in sorted(floods, key=lambda r: ORDER.index(r[1]) if r[1] in ORDER else 99):
            _, variant, a_req, a_p50, a_p99, d_req, d_p50, d_p99, d_non2xx, f_req, f_rej, fetches, secs = r
            s = float(secs)
            w(
                f"| {LABEL.get(variant, variant)} | {fetches} | {num(int(f_req) / s)} "
                f"({int(f_rej) / max(1, int(f_req)):.0%}) | {num(int(a_req) / s)} → {num(int(d_req) / s)} | "
                f"{num(int(a_p50))} → {num(int(d_p50))} | {num(int(a_p99))} → {num(int(d_p99))} | {d_non2xx} |"
            )
        w("")

    rotations = [r for r in rows if r[0] == "rotation"]
    if rotations:
        w("### Key rotation under load (fresh server per variant)")
        w("")
        w(
            "The issuer starts signing with a new key and keeps the old one published; a token of "
            "the new key is tried every 50 ms while old-token requests keep coming."
        )
        w("")
        w("| variant | new key accepted after | provider fetches | old-token requests rejected | old-token p99 µs |")
        w("|---|---|---|---|---|")
        for r in sorted(rotations, key=lambda r: ORDER.index(r[1]) if r[1] in ORDER else 99):
            _, variant, accepted_ms, attempts, fetches, l_req, l_non2xx, l_p99, window = r
            accepted = (
                f"{accepted_ms} ms" if int(accepted_ms) >= 0 else f"not within {window} s ({attempts} tries)"
            )
            w(f"| {LABEL.get(variant, variant)} | {accepted} | {fetches} | {l_non2xx} of {num(int(l_req))} | {num(int(l_p99))} |")
        w("")

    misses = throughput(rows, "miss")
    if misses:
        pool = next((r[10] for r in rows if r[0] == "miss" and len(r) > 10), "?")
        w("### Throughput, one server core, RS256, a new token on every request")
        w("")
        w(
            f"Every request carries a token the server has not seen: {num(int(pool))} distinct "
            "tokens minted once by a shared issuer, sent in order, each server restarted for "
            "every round (rounds interleaved). Medians over the rounds, with the lowest and "
            "highest round; ratios to the cache-off server of the same run."
        )
        w("")
        w(
            "| variant | req/s | rounds: lowest – highest | × cache off | p50 µs | p99 µs | "
            "server CPU µs/req | CPU × cache off | errors |"
        )
        w("|---|---|---|---|---|---|---|---|---|")
        off = misses.get("guard-cache-off")
        for variant in order(misses):
            v = misses[variant]
            lo, hi = v["spread"]
            w(
                f"| {LABEL.get(variant, variant)} | {num(v['rps'])} | {num(lo)} – {num(hi)} "
                f"({v['rounds']}) | {ratio(v['rps'], off and off['rps'])} | {num(v['p50'])} | "
                f"{num(v['p99'])} | {num(v['cpu'], 1)} | {ratio(v['cpu'], off and off['cpu'])} | "
                f"{v['errors']} |"
            )
        on = misses.get("guard-cache-on")
        if on and off:
            r = on["rps"] / off["rps"]
            c = on["cpu"] / off["cpu"]
            verdict = "met" if r >= 0.95 else f"missed by {(0.95 - r) / 0.95:.0%} of the target"
            w("")
            w(
                f"Target: a miss with the cache on within 5% of a miss with it off: **{r:.2f}×** "
                f"the cache-off req/s, {verdict}; server CPU per request {c:.2f}× the cache-off "
                "server's."
            )
        w("")

    memories = [r for r in rows if r[0] == "memory"]
    if memories:
        w("### Resident memory")
        w("")
        w(
            "Resident set of the server idle (after one request) and as distinct EdDSA tokens go "
            "through it (EdDSA, so that minting a million tokens takes about a minute rather than "
            "the quarter of an hour or more of RSA signatures): sent once each, as clients that "
            "never reuse a token; sent twice each, so that jwks-guard's cache stores every one "
            "(it stores a token at its second verification); and large tokens (11 KiB of nested "
            "arrays, about 230 KB once decoded) sent twice each."
        )
        w("")
        w("| variant | tokens | idle | after 10% | after 50% | after all | peak | token cache at the end |")
        w("|---|---|---|---|---|---|---|---|")
        kinds = {"once": "sent once", "twice": "sent twice", "large-twice": "large, sent twice"}
        for r in memories:
            if len(r) > 6:
                _, variant, kind, idle, curve = r[:5]
                cache = r[6]
            else:
                (_, variant, idle, curve), kind = r[:4], "once"
                cache = r[5] if len(r) > 5 else "?"
            points = [tuple(int(x) for x in p.split(":")) for p in curve.split(",") if ":" in p]
            if not points:
                continue
            total = points[-1][0]

            def at(fraction):
                count, kib = min(points, key=lambda p: abs(p[0] - total * fraction))
                return f"{kib / 1024:.1f} MiB"

            peak = max(kib for _, kib in points)
            w(
                f"| {LABEL.get(variant, variant)} | {total:,} distinct, {kinds.get(kind, kind)} | "
                f"{int(idle) / 1024:.1f} MiB | {at(0.1)} | {at(0.5)} | {at(1.0)} | "
                f"{peak / 1024:.1f} MiB | {cache} |"
            )
        w("")
    w(END)
    return "\n".join(o) + "\n"


def write(benchmarks, section_path):
    section = open(section_path).read()
    text = open(benchmarks).read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    open(benchmarks, "w").write(text)


def main(argv):
    if len(argv) == 3 and argv[0] == "--write":
        write(argv[1], argv[2])
    elif len(argv) == 2:
        sys.stdout.write(render(*read(argv[0], argv[1])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
