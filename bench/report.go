package main

import (
	"fmt"
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
	w("Settings: %v per attack after %v warm-up, concurrencies %v, %d round(s) interleaved (medians shown, req/s range in brackets), %d distinct RS256 tokens, vegeta closed loop (workers = keep-alive connections = concurrency), tools/call greet_user in an initialized %s session.\n\n",
		cfg.duration, cfg.warmup, cfg.conc, cfg.rounds, cfg.tokens, protocolVersion)
	w("Servers: ")
	for i, s := range servers {
		if i > 0 {
			w("; ")
		}
		w("(%s) %s", s.id, s.label)
	}
	w(".\n\n")

	stat := func(p point) (med, lo, hi float64, p50, p99 time.Duration, rss int64, ok bool) {
		rs := results[p]
		if len(rs) == 0 {
			return
		}
		var tps []float64
		var p50s, p99s []time.Duration
		var rsss []int64
		for _, r := range rs {
			tps = append(tps, r.throughput)
			p50s = append(p50s, r.p50)
			p99s = append(p99s, r.p99)
			rsss = append(rsss, r.rss)
		}
		lo, hi = tps[0], tps[0]
		for _, t := range tps {
			lo, hi = min(lo, t), max(hi, t)
		}
		return median(tps), lo, hi, median(p50s), median(p99s), median(rsss), true
	}
	ceiling := func(c int) float64 {
		med, _, _, _, _, _, _ := stat(point{mixes[0].name, c, "b"})
		return med
	}

	type ratio struct {
		mix  string
		conc int
		ab   float64
		ac   float64
	}
	var ratios []ratio
	for _, mx := range mixes {
		w("### %s\n\n", mx.name)
		w("| concurrency | server | req/s | p50 | p99 | peak RSS | vs (b) |\n|---:|---|---:|---:|---:|---:|---:|\n")
		for _, c := range cfg.conc {
			var a, cc float64
			for _, s := range servers {
				mixName := mx.name
				if s.id == "b" {
					mixName = mixes[0].name
				}
				med, lo, hi, p50, p99, rss, ok := stat(point{mixName, c, s.id})
				if !ok {
					continue
				}
				switch s.id {
				case "a":
					a = med
				case "c":
					cc = med
				}
				w("| %d | (%s) %s | %.0f [%.0f–%.0f] | %s | %s | %.1f MiB | %.2f |\n",
					c, s.id, s.label, med, lo, hi, ms(p50), ms(p99), mib(rss), med/ceiling(c))
			}
			ratios = append(ratios, ratio{mx.name, c, a / ceiling(c), a / cc})
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
	w("\n### Targets\n\n| target | figure (worst concurrency) | met |\n|---|---|---|\n")
	worst := func(mixName string, f func(ratio) float64) (float64, int) {
		v, at := 1e9, 0
		for _, r := range ratios {
			if r.mix == mixName && f(r) < v {
				v, at = f(r), r.conc
			}
		}
		return v, at
	}
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	v, at := worst(mixes[0].name, func(r ratio) float64 { return r.ab })
	w("| (a)/(b) ≥ 0.90, warm cache | %.2f (c=%d) | %s |\n", v, at, yes(v >= 0.90))
	v, at = worst(mixes[1].name, func(r ratio) float64 { return r.ab })
	w("| (a)/(b) ≥ 0.60, distinct tokens | %.2f (c=%d) | %s |\n", v, at, yes(v >= 0.60))
	for _, mx := range mixes {
		v, at = worst(mx.name, func(r ratio) float64 { return r.ac })
		w("| (a) ≥ (c), %s | (a)/(c) = %.2f (c=%d) | %s |\n", mx.name, v, at, yes(v >= 1))
	}
	w("| cold start < 200 ms | median %s | %s |\n", ms(median(starts)), yes(median(starts) < 200*time.Millisecond))
	w("| `mcpgen new` < 300 ms | median %s | %s |\n", ms(median(news)), yes(median(news) < 300*time.Millisecond))
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
