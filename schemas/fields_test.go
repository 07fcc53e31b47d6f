package schemas

import "testing"

func TestFields(t *testing.T) {
	var names []string
	for _, f := range Fields("#TenantDeclarations") {
		names = append(names, f.Name)
		if f.Name != "tenant" && !f.Optional {
			t.Errorf("%s: want optional", f.Name)
		}
	}
	if len(names) < 7 || names[0] != "tenant" || names[1] != "notebooks" {
		t.Errorf("tenant declarations: %v", names)
	}
	if len(Fields("#Platform")) < 4 {
		t.Errorf("platform fields: %+v", Fields("#Platform"))
	}
}
