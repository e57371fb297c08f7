package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// download measures ossget reading one big object back into a file, beside
// curl fetching the same object by presigned URL into a file (and ossutil
// cp, when it is on PATH), alternating so all see the same load.
func (b *bench) download() error {
	size := b.cfg.size
	reps := b.cfg.repeat
	s := b.rep.section(fmt.Sprintf("Download: one %s object into a file (median of %d runs each)", iec(size), reps))
	big := filepath.Join(b.cfg.work, "get-src.bin")
	logf("writing %s of random bytes", iec(size))
	if err := writeRandomFile(big, size, 3); err != nil {
		return err
	}
	f, err := os.Open(big)
	if err != nil {
		return err
	}
	err = b.srv.bucket.PutObject("get/big.bin", f)
	f.Close()
	os.Remove(big)
	if err != nil {
		return err
	}
	defer b.srv.deletePrefix("get/")
	url, err := b.srv.bucket.SignURL("get/big.bin", oss.HTTPGet, 24*3600)
	if err != nil {
		return err
	}
	out := filepath.Join(b.cfg.work, "get-out.bin")

	type variant struct {
		name string
		args func() (string, []string)
		runs []Usage
	}
	ossget := func(extra ...string) func() (string, []string) {
		return func() (string, []string) {
			return b.tool("ossget"), append(append([]string{"-q", "--progress", "never"}, extra...), "oss://bench/get/big.bin", out)
		}
	}
	vs := []*variant{
		{name: "`curl -o FILE` by presigned URL (one GET)", args: func() (string, []string) {
			return "curl", []string{"-sS", "--fail", "-o", out, url}
		}},
		{name: "ossget (defaults: 4 jobs of 8 MiB ranges above 32 MiB)", args: ossget()},
		{name: "ossget -j 1 (one range at a time)", args: ossget("-j", "1")},
		{name: "ossget --threshold above the size (one GET, like curl)", args: ossget("--threshold", fmt.Sprint(size+1))},
	}
	if p := b.ossutil(); p != "" {
		vs = append(vs, &variant{name: "`ossutil cp` (its defaults)", args: func() (string, []string) {
			return p, b.ossutilArgs("cp", "-f", "oss://bench/get/big.bin", out)
		}})
	}
	for r := range reps {
		for _, v := range vs {
			logf("run %d/%d: %s", r+1, reps, v.name)
			os.Remove(out)
			name, args := v.args()
			u, err := b.p.run(name, args...)
			if err != nil {
				return err
			}
			if fi, err := os.Stat(out); err != nil || fi.Size() != size {
				return fmt.Errorf("%s wrote %v (%v), want %d bytes", v.name, fi, err, size)
			}
			v.runs = append(v.runs, u)
		}
	}
	os.Remove(out)
	curl := summarize(vs[0].runs)
	s.baseline(vs[0].name, curl.median, mbps(size, curl.median.Wall))
	for _, v := range vs[1:] {
		st := summarize(v.runs)
		s.add(v.name, st.median, mbps(size, st.median.Wall),
			fmt.Sprintf("CPU %s curl's, wall %s", ratio(st.medianCPU.Seconds(), curl.medianCPU.Seconds()), ratio(st.median.Wall.Seconds(), curl.median.Wall.Seconds())))
	}
	s.note("Rows are the run of median wall time; CPU ratios compare median CPU times. ossget verifies the CRC64 of every byte, syncs the file and renames it into place; curl does neither. The output file is on tmpfs.")
	if b.ossutil() == "" {
		s.note("No ossutil (OSSUTIL unset, none on PATH): no ossutil row.")
	}
	perByte := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(size) }
	def := summarize(vs[1].runs)
	tp, cp := perByte(def.medianCPU), perByte(curl.medianCPU)
	b.rep.target("Download CPU per byte", "≤ 1.5× curl's",
		fmt.Sprintf("%.2f ns/B vs curl %.2f ns/B = %s (ossget defaults, median of %d)", tp, cp, ratio(tp, cp), reps),
		tp <= 1.5*cp)
	b.rep.target("Download wall time, --jobs 4", "≤ curl's",
		fmt.Sprintf("%s vs curl %s = %s", dur(def.median.Wall), dur(curl.median.Wall), ratio(def.median.Wall.Seconds(), curl.median.Wall.Seconds())),
		def.median.Wall <= curl.median.Wall)
	return nil
}
