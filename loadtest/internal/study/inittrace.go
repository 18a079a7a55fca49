package study

import (
	"github.com/getsmall/getsmall/loadtest/internal/parse"
	"github.com/getsmall/getsmall/loadtest/internal/report"
)

// initTrace starts a Go server InitRuns times with GODEBUG=inittrace=1, each until its first
// 200, and reads what the runtime wrote about its package initialisers.
func (s *Study) initTrace(v *variant) (*report.InitTrace, error) {
	env := append(append([]string(nil), v.env...), "GODEBUG=inittrace=1")
	var runs [][]parse.Init
	for range s.cfg.InitRuns {
		p, _, err := s.coldStart(v.argv, env)
		if err != nil {
			return nil, err
		}
		if err := p.stop(); err != nil {
			return nil, err
		}
		inits, err := parse.InitTrace(p.output())
		if err != nil {
			return nil, err
		}
		runs = append(runs, inits)
	}
	return report.SummarizeInits(runs), nil
}
