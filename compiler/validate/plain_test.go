package validate

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// TestPlainCopyMatchesRoundTrip requires plainCopy and plainShared to give
// exactly what the JSON round trip gives, or to decline.
func TestPlainCopyMatchesRoundTrip(t *testing.T) {
	values := []any{
		nil, "", "héllo", "\xff", true, false,
		int(3), int8(-8), int16(16), int32(-32), int64(math.MinInt64), int64(math.MaxInt64),
		uint(7), uint8(8), uint16(16), uint32(math.MaxUint32), uint64(math.MaxInt64), uint64(math.MaxUint64),
		0.0, math.Copysign(0, -1), 1.0, -3.0, 0.5, 1e-7, 1.5e-300, 123456789.125,
		float64(1 << 53), float64(1<<53 + 2), 9.2e18, 9.3e18, -9.3e18, -float64(1<<62) * 2, float64(1<<62) * 2, 1e20, 1e21, -1e21, 1e300, float64(1 << 60), 1152921504606847000.0,
		float32(0.1), json.Number("12"), json.Number("1.0"), math.NaN(), math.Inf(1),
		[]any(nil), []any{}, []any{1, "a", nil}, map[string]any(nil), map[string]any{},
		map[string]any{"\xfe": 1}, []string{"a"}, map[string]string{"a": "b"}, struct{ A int }{1},
	}
	for _, v := range values {
		obj := map[string]any{"v": v, "nested": []any{map[string]any{"v": v}}}
		_, want, errs := roundTrip(obj)
		got, ok := plainCopy(obj)
		if !ok {
			continue
		}
		if errs != nil {
			t.Errorf("%#v: copied, but the round trip fails: %v", v, errs)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%#v: copy %#v, round trip %#v", v, got, want)
		}
		if shared, _, ok := plainShared(obj); !ok || !reflect.DeepEqual(shared, want) {
			t.Errorf("%#v: shared %#v (%v), round trip %#v", v, shared, ok, want)
		}
	}
	for _, d := range readExamples(t) {
		_, want, errs := roundTrip(d.obj)
		got, ok := plainCopy(d.obj)
		if !ok || errs != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: copy (%v) differs from the round trip (%v)", d.name, ok, errs)
		}
		if shared, _, ok := plainShared(d.obj); !ok || !reflect.DeepEqual(shared, want) {
			t.Errorf("%s: shared (%v) differs from the round trip", d.name, ok)
		}
	}
}
