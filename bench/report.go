package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// renderReport writes the markdown report: machine, settings, one table per request
// mix, cold start and `mcpgen new`, and the targets with the figures that decide them.
func renderReport(cfg config, m *machineInfo, servers []server, results map[point][]result, starts, news []time.Duration) string {
	m.loadEnd = loadavg()
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## Results (%s)\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	w("Machine: %s, %d cores, %s, %s. Load average before %s, after %s.\n\n", m.cpu, m.cores, m.kernel, m.goVersion, m.loadBefore, m.loadEnd)
	w("Settings: %v per attack after %v warm-up, concurrencies %v, %d round(s) interleaved (medians shown, req/s range in brackets; ratios are medians of per-round pairs measured back to back), %d distinct %s tokens, vegeta closed loop (workers = keep-alive connections = concurrency), tools/call greet_user in an initialized %s session.\n\n",
		cfg.duration, cfg.warmup, cfg.conc, cfg.rounds, cfg.tokens, cfg.alg, protocolVersion)
	w("Servers: ")
	for i, s := range servers {
		if i > 0 {
			w("; ")
		}
		w("(%s) %s", s.id, s.label)
	}
	w(".\n\n")

	through := func(p point) []float64 {
		var out []float64
		for _, r := range results[p] {
			out = append(out, r.throughput)
		}
		return out
	}
	// paired is the median over rounds of x/y, each pair measured back to back, so
	// the load other processes put on the machine mostly cancels out.
	paired := func(x, y point) float64 {
		xs, ys := through(x), through(y)
		var rs []float64
		for i := range min(len(xs), len(ys)) {
			rs = append(rs, xs[i]/ys[i])
		}
		return median(rs)
	}
	cpu := func(p point) time.Duration {
		var ds []time.Duration
		for _, r := range results[p] {
			ds = append(ds, r.cpuPerReq)
		}
		return median(ds)
	}

	type ratio struct {
		mix        string
		conc       int
		ab, ac, ad float64
		cpuRatio   float64 // (b)'s CPU per request / (a)'s
	}
	var ratios []ratio
	for _, mx := range mixes {
		w("### %s\n\n", mx.name)
		w("| concurrency | server | req/s | p50 | p99 | server CPU/req | peak RSS | req/s ÷ (b) | req/s ÷ (d) | CPU/req (b) ÷ this |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, c := range cfg.conc {
			// (b) and (d) verify no token: their one run stands for both mixes.
			ceiling, bare := point{mixes[0].name, c, "b"}, point{mixes[0].name, c, "d"}
			for _, s := range servers {
				pt := point{mx.name, c, s.id}
				switch s.id {
				case "b":
					pt = ceiling
				case "d":
					pt = bare
				}
				rs := results[pt]
				if len(rs) == 0 {
					continue
				}
				tps := through(pt)
				var p50s, p99s []time.Duration
				var rsss []int64
				for _, r := range rs {
					p50s, p99s, rsss = append(p50s, r.p50), append(p99s, r.p99), append(rsss, r.rss)
				}
				w("| %d | (%s) %s | %.0f [%.0f–%.0f] | %s | %s | %.0f µs | %.1f MiB | %.2f | %.2f | %.2f |\n",
					c, s.id, s.label, median(tps), slices.Min(tps), slices.Max(tps), ms(median(p50s)), ms(median(p99s)),
					float64(cpu(pt))/float64(time.Microsecond), mib(median(rsss)), paired(pt, ceiling), paired(pt, bare), float64(cpu(ceiling))/float64(cpu(pt)))
			}
			a, cc := point{mx.name, c, "a"}, point{mx.name, c, "c"}
			ratios = append(ratios, ratio{mx.name, c, paired(a, ceiling), paired(a, cc), paired(a, bare), float64(cpu(ceiling)) / float64(cpu(a))})
		}
		w("\n")
	}

	w("### Start-up\n\n")
	w("| measure | median | min | max | runs |\n|---|---:|---:|---:|---:|\n")
	for _, row := range []struct {
		name string
		ds   []time.Duration
	}{{"cold start of (a): process start → /ready 200 (JWKS loaded)", starts}, {"`mcpgen new` (process start → exit)", news}} {
		lo, hi := row.ds[0], row.ds[0]
		for _, d := range row.ds {
			lo, hi = min(lo, d), max(hi, d)
		}
		w("| %s | %s | %s | %s | %d |\n", row.name, ms(median(row.ds)), ms(lo), ms(hi), len(row.ds))
	}
	w("\n### Targets\n\n| target | figure (worst concurrency) | met | CPU/req (b) ÷ (a) there |\n|---|---|---|---|\n")
	worst := func(mixName string, f func(ratio) float64) (ratio, float64) {
		var at ratio
		v := 1e9
		for _, r := range ratios {
			if r.mix == mixName && f(r) < v {
				v, at = f(r), r
			}
		}
		return at, v
	}
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	// The targets of issue #17: the production chain within 15 % of the bare mcp-go
	// server (d) with a warm token, half of it with a distinct token per request.
	r, v := worst(mixes[0].name, func(r ratio) float64 { return r.ad })
	w("| (a)/(d) ≥ 0.85, warm (same token) | %.3f (c=%d) | %s | %.2f |\n", v, r.conc, yes(v >= 0.85), r.cpuRatio)
	r, v = worst(mixes[1].name, func(r ratio) float64 { return r.ad })
	w("| (a)/(d) ≥ 0.50, distinct %s token per request | %.3f (c=%d) | %s | %.2f |\n", cfg.alg, v, r.conc, yes(v >= 0.50), r.cpuRatio)
	for i, limit := range []int64{24 << 20, 40 << 20} {
		var peak int64
		at := 0
		for _, c := range cfg.conc {
			var rss []int64
			for _, res := range results[point{mixes[i].name, c, "a"}] {
				rss = append(rss, res.rss)
			}
			if m := median(rss); m > peak {
				peak, at = m, c
			}
		}
		w("| peak RSS of (a) ≤ %d MiB, %s | %.1f MiB (c=%d) | %s | |\n", limit>>20, mixes[i].name, mib(peak), at, yes(peak <= limit))
	}
	for _, mx := range mixes {
		r, v = worst(mx.name, func(r ratio) float64 { return r.ac })
		w("| (a) ≥ (c), %s | (a)/(c) = %.2f (c=%d) | %s | |\n", mx.name, v, r.conc, yes(v >= 1))
	}
	w("| cold start to /ready ≤ 40 ms | median %s | %s | |\n", ms(median(starts)), yes(median(starts) <= 40*time.Millisecond))
	w("| `mcpgen new` ≤ 100 ms | median %s | %s | |\n", ms(median(news)), yes(median(news) <= 100*time.Millisecond))
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
