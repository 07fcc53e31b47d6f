package check

import (
	"strings"
	"testing"
)

// TestParseCronJobSchedule: a schedule is accepted or refused as the API server's
// validation of a CronJob (robfig/cron's ParseStandard, and no time zone in it) does,
// and a refusal names the field.
func TestParseCronJobSchedule(t *testing.T) {
	t.Parallel()
	cases := []struct {
		spec string
		want string // a part of the error, or "" to accept
	}{
		{spec: "0 2 * * *"},
		{spec: "*/15 0-6,22-23 1-31/2 jan-MAR sun-sat"},
		{spec: "0 2 ? * *"},
		{spec: "5/10 * * * *"},
		{spec: "@daily"},
		{spec: "@annually"},
		{spec: "@every 90m"},
		{spec: "0 25 * * *", want: `hour field "25": end of range (25) above maximum (23)`},
		{spec: "0 2 0 * *", want: `day of month field "0": beginning of range (0) below minimum (1)`},
		{spec: "0 2 * 13 *", want: `month field "13"`},
		{spec: "0 2 * * 7", want: `day of week field "7"`},
		{spec: "0 2 * * mon-sun-x", want: `day of week field "mon-sun-x"`},
		{spec: "*/0 * * * *", want: `minute field "*/0": step of range should be a positive number`},
		{spec: "6-5 * * * *", want: `minute field "6-5": beginning of range (6) beyond end of range (5)`},
		{spec: "x * * * *", want: `minute field "x": failed to parse int from x`},
		{spec: "0 0 2 * * *", want: "want 5 fields (minute hour day-of-month month day-of-week), found 6"},
		{spec: "0 2 * *", want: "want 5 fields (minute hour day-of-month month day-of-week), found 4"},
		{spec: "@fortnightly", want: "unrecognized descriptor: @fortnightly (Kubernetes reads @yearly"},
		{spec: "@every soon", want: "failed to parse duration @every soon"},
		{spec: "CRON_TZ=Europe/Paris 0 2 * * *", want: "set the time zone in schedule.timeZone, not in cron"},
		// The parser would panic on this one: refused before it reads it.
		{spec: "TZ=Etc/UTC", want: "set the time zone in schedule.timeZone"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			err := parseCronJobSchedule(tc.spec)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("accepted; want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q; want it to contain %q", err, tc.want)
			}
		})
	}
}
