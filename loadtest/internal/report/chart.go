package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartWidth = 1000
	labelWidth = 190 // left column for variant names
	valueWidth = 290 // right column for the value text
	barHeight  = 18
	barGap     = 8
	panelGap   = 22
)

// bar is one row of a horizontal bar chart.
type bar struct {
	label  string
	value  float64
	lo, hi float64 // a whisker from lo to hi, when hi > 0
	marker float64 // a second measurement drawn as a tick (the wrk cross-check), when > 0
	hatch  bool    // the value is limited by the client, not the server
	text   string  // printed right of the bar
}

// Chart draws three panels: cold start (p50 bar, min–max whisker), binary size, and
// throughput per server (the wrk median of clean runs with their spread and the per-round
// ratio to nginx; hey as a tick; hatched when the client was the limit).
func (r *Report) Chart() string {
	var cold, size, load []bar
	for _, v := range r.Variants {
		c := v.ColdStartMs
		cold = append(cold, bar{label: v.Name, value: c.P50, lo: c.Min, hi: c.Max,
			text: fmt.Sprintf("%.1f ms (%.1f–%.1f)", c.P50, c.Min, c.Max)})
		size = append(size, bar{label: v.Name, value: float64(v.SizeBytes),
			text: fmt.Sprintf("%.2f MB", float64(v.SizeBytes)/1e6)})
		if b, ok := throughputBar(v); ok {
			load = append(load, b)
		}
	}

	var body strings.Builder
	y := 40
	fmt.Fprintf(&body, `<text x="10" y="24" class="title">getsmall load test, %s: %s, %d cores</text>`+"\n",
		r.Date.UTC().Format("2006-01-02"), html.EscapeString(r.Machine.CPUModel), r.Machine.Cores)
	y = panel(&body, y, "Cold start: exec to first 200 on /health (bar p50, whisker min–max)", cold, "#4878a8")
	y = panel(&body, y+panelGap, "Binary size", size, "#6a9f58")
	y = panel(&body, y+panelGap, "Throughput on /health: wrk median of clean runs (bar, whisker min–max), hey median (tick); hatched = client-bound", load, "#c07830")

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, y+20, chartWidth, y+20)
	b.WriteString(`<style>.title{font-size:15px;font-weight:bold}.head{font-size:13px;font-weight:bold}.label{text-anchor:end}</style>` + "\n")
	b.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
		`<rect width="6" height="6" fill="#e8c8a8"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c07830" stroke-width="3"/></pattern></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartWidth, y+20)
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	return b.String()
}

// panel draws a titled horizontal bar chart starting at y and returns the y below it.
func panel(b *strings.Builder, y int, title string, bars []bar, color string) int {
	fmt.Fprintf(b, `<text x="10" y="%d" class="head">%s</text>`+"\n", y+14, html.EscapeString(title))
	y += 26
	if len(bars) == 0 {
		fmt.Fprintf(b, `<text x="%d" y="%d">not measured</text>`+"\n", labelWidth, y+13)
		return y + barHeight
	}
	top := 0.0
	for _, r := range bars {
		top = math.Max(top, math.Max(r.value, math.Max(r.hi, r.marker)))
	}
	if top <= 0 {
		top = 1
	}
	span := float64(chartWidth - labelWidth - valueWidth - 20)
	x := func(v float64) float64 { return float64(labelWidth+10) + v/top*span }

	for _, r := range bars {
		mid := float64(y) + barHeight/2
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="label">%s</text>`+"\n", labelWidth, mid+4, html.EscapeString(r.label))
		fill := color
		if r.hatch {
			fill = "url(#hatch)"
		}
		fmt.Fprintf(b, `<rect class="bar" x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n",
			labelWidth+10, y, x(r.value)-float64(labelWidth+10), barHeight, fill)
		if r.hi > 0 {
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222" stroke-width="1.5"/>`+"\n", x(r.lo), mid, x(r.hi), mid)
			for _, v := range []float64{r.lo, r.hi} {
				fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222" stroke-width="1.5"/>`+"\n", x(v), mid-5, x(v), mid+5)
			}
		}
		if r.marker > 0 {
			fmt.Fprintf(b, `<line class="marker" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-width="3"/>`+"\n",
				x(r.marker), y-3, x(r.marker), y+barHeight+3)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x(top)+8, mid+4, html.EscapeString(r.text))
		y += barHeight + barGap
	}
	return y
}

// throughputBar is a server's throughput row: wrk when it ran, else hey.
func throughputBar(v Variant) (bar, bool) {
	main, tick := v.Throughput.Tool(Wrk), v.Throughput.Tool(Hey)
	if main == nil || main.Median == nil {
		main, tick = tick, nil
	}
	if main == nil || main.Median == nil {
		return bar{}, false
	}
	lo, hi := main.Spread()
	b := bar{label: v.Name, value: main.Median.RPS, lo: lo, hi: hi, hatch: main.ClientBound,
		text: thousands(int64(main.Median.RPS)) + " req/s"}
	if main.VsNginx != nil {
		b.text += fmt.Sprintf(" · %.2f× nginx", main.VsNginx.Median)
	}
	if tick != nil && tick.Median != nil {
		b.marker = tick.Median.RPS
		b.text += " · hey " + thousands(int64(tick.Median.RPS))
	}
	if b.hatch {
		b.text += " (client-bound)"
	}
	return b, true
}
