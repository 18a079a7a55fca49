package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Latency chart geometry, in SVG user units.
const (
	latLabel = 150 // left column for server names
	latText  = 220 // right column for the numbers
	latRow   = 16
	latGap   = 5
)

// Shades of the three percentiles, darkest for the most common latency.
const (
	colorP50  = "#24507a"
	colorP99  = "#5f8fc0"
	colorP999 = "#b5cde6"
	colorMax  = "#c0392b"
)

// LatencyChart draws the open-loop runs: one panel per rate, one row per server, on a
// logarithmic time axis shared by every panel, so a tail that grows with the rate is seen
// moving right. Each row is a bar to the p50, extended to the p99 and the p99.9 in lighter
// shades, with a dot at the worst; a dashed line marks nginx's p99 at that rate.
func (r *Report) LatencyChart() string {
	lo, hi := math.Inf(1), 0.0
	var vs []Variant
	for _, v := range r.Variants {
		if len(v.OpenLoop) == 0 {
			continue
		}
		vs = append(vs, v)
		for _, rr := range v.OpenLoop {
			if rr.Clean > 0 {
				lo, hi = math.Min(lo, rr.P50Ms), math.Max(hi, rr.MaxMs)
			}
		}
	}
	var body strings.Builder
	fmt.Fprintf(&body, `<text x="10" y="24" class="title">Latency at fixed rates, counted from when each request was due</text>`+"\n")
	fmt.Fprintf(&body, `<text x="10" y="42" class="sub">getsmall load test, %s, %s, %d cores; rates in %% of %s, %s req/s</text>`+"\n",
		r.Date.UTC().Format("2006-01-02"), html.EscapeString(r.Machine.CPUModel), r.Machine.Cores, html.EscapeString(r.Params.RefFrom), thousands(int64(r.Params.RefRPS)))
	legend(&body, 64)
	y := 84
	if len(vs) == 0 || hi <= 0 {
		fmt.Fprintf(&body, `<text x="10" y="%d">no open-loop run</text>`+"\n", y+14)
		y += 30
	} else {
		lo, hi = math.Pow(10, math.Floor(math.Log10(math.Max(lo, 1e-3)))), math.Pow(10, math.Ceil(math.Log10(hi)))
		if hi <= lo {
			hi = lo * 10
		}
		span := float64(chartWidth - latLabel - latText - 20)
		x := func(ms float64) float64 {
			ms = math.Min(math.Max(ms, lo), hi)
			return float64(latLabel+10) + math.Log10(ms/lo)/math.Log10(hi/lo)*span
		}
		for j := range vs[0].OpenLoop {
			y = latencyPanel(&body, y, j, vs, x, lo, hi)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, y+10, chartWidth, y+10)
	b.WriteString(`<style>.title{font-size:15px;font-weight:bold}.head{font-size:13px;font-weight:bold}.label{text-anchor:end}.own{font-weight:bold}.axis{fill:#666;font-size:10px;text-anchor:middle}.sub{fill:#444}.cols{fill:#666;font-size:11px}</style>` + "\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartWidth, y+10)
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	return b.String()
}

// legend explains the shades in one line.
func legend(b *strings.Builder, y int) {
	x := 10
	for _, item := range []struct{ color, text string }{
		{colorP50, "to p50"}, {colorP99, "to p99"}, {colorP999, "to p99.9"},
	} {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="14" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", x, y-9, item.color, x+18, y, item.text)
		x += 90
	}
	fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="4" fill="%s"/><text x="%d" y="%d">worst</text>`+"\n", x+6, y-4, colorMax, x+14, y)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-dasharray="4 3"/><text x="%d" y="%d">nginx's p99</text>`+"\n", x+80, y-9, x+80, y+1, x+86, y)
}

// latencyPanel draws rate j for every server and returns the y below it.
func latencyPanel(b *strings.Builder, y, j int, vs []Variant, x func(float64) float64, lo, hi float64) int {
	rr0 := vs[0].OpenLoop[j]
	fmt.Fprintf(b, `<text x="10" y="%d" class="head">%s %% of the reference: %s req/s</text>`+"\n", y+14, trim(rr0.Percent), thousands(int64(rr0.RPS)))
	fmt.Fprintf(b, `<text x="%d" y="%d" class="cols">p50 · p99 · p99.9 · max, ms</text>`+"\n", chartWidth-latText, y+14)
	y += 22
	top, bottom := y, y+len(vs)*(latRow+latGap)
	for d := lo; d <= hi*1.0001; d *= 10 { // decade grid with its labels
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" class="axis">%s ms</text>`+"\n",
			x(d), top, x(d), bottom, x(d), bottom+11, trimFloat(d))
	}
	for _, v := range vs {
		if j >= len(v.OpenLoop) {
			continue
		}
		rr := v.OpenLoop[j]
		mid := float64(y) + latRow/2
		class := "label"
		if v.Name == Getsmall {
			class += " own"
		}
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="%s">%s</text>`+"\n", latLabel, mid+4, class, html.EscapeString(v.Name))
		text := "no clean run"
		if rr.Clean > 0 {
			x0 := float64(latLabel + 10)
			for _, seg := range []struct {
				to    float64
				color string
			}{{rr.P999Ms, colorP999}, {rr.P99Ms, colorP99}, {rr.P50Ms, colorP50}} { // widest first, so the darker ones draw over it
				fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", x0, y, math.Max(x(seg.to)-x0, 1), latRow, seg.color)
			}
			fmt.Fprintf(b, `<circle class="worst" cx="%.1f" cy="%.1f" r="4" fill="%s"/>`+"\n", x(rr.MaxMs), mid, colorMax)
			text = fmt.Sprintf("%s · %s · %s · %s", msText(rr.P50Ms), msText(rr.P99Ms), msText(rr.P999Ms), msText(rr.MaxMs))
		}
		fmt.Fprintf(b, `<text x="%d" y="%.1f">%s</text>`+"\n", chartWidth-latText, mid+4, text)
		if v.Name == Nginx && rr.Clean > 0 {
			fmt.Fprintf(b, `<line class="ref" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333" stroke-dasharray="4 3"/>`+"\n", x(rr.P99Ms), top-3, x(rr.P99Ms), bottom)
		}
		y += latRow + latGap
	}
	return bottom + 24
}

// trimFloat prints an axis value without trailing zeros: 0.01, 1, 100.
func trimFloat(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
