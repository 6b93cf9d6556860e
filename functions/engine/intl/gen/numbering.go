package main

// The numbering systems table: each locale's default and the systems it
// names as others (native, traditional, finance); the digits of every
// numeric system are in data/digits.json, written by digits below.
func init() {
	tables["numbering"] = func(c *cldr, locale string) (any, error) {
		var f struct {
			Main map[string]struct {
				Numbers struct {
					Default string            `json:"defaultNumberingSystem"`
					Others  map[string]string `json:"otherNumberingSystems"`
				} `json:"numbers"`
			} `json:"main"`
		}
		if err := c.read("cldr-numbers-full", "main/"+locale+"/numbers.json", &f); err != nil {
			return nil, err
		}
		n := f.Main[locale].Numbers
		return map[string]any{"default": n.Default, "others": n.Others}, nil
	}
	extras = append(extras, digits)
}

// digits writes data/digits.json: the ten digits of each numeric numbering
// system (arab → ٠١٢٣٤٥٦٧٨٩).
func digits(c *cldr) error {
	var f struct {
		Supplemental struct {
			NumberingSystems map[string]struct {
				Type   string `json:"_type"`
				Digits string `json:"_digits"`
			} `json:"numberingSystems"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/numberingSystems.json", &f); err != nil {
		return err
	}
	out := map[string]string{}
	for name, ns := range f.Supplemental.NumberingSystems {
		if ns.Type == "numeric" {
			out[name] = ns.Digits
		}
	}
	return writeJSON("data/digits.json", out)
}
