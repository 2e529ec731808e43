package devices

import (
	_ "embed"
	"encoding/json"
	"slices"
)

// Model is a device model of the catalogue (reference §2.7).
type Model struct {
	Object   string   `json:"object"`
	ID       string   `json:"id"`
	Brand    string   `json:"brand"`
	Name     string   `json:"name"`
	SIMTypes []string `json:"simTypes"`
	Type     string   `json:"type"`
}

// Brand is an entry of GET /deviceModelBrands.
type Brand struct {
	Object string `json:"object"`
	Name   string `json:"name"`
}

//go:embed device_models.json
var modelData []byte

// models is the catalogue shipped with cellgate, by id.
var models = func() map[string]*Model {
	var doc struct {
		DeviceModels []*Model `json:"deviceModels"`
	}
	if err := json.Unmarshal(modelData, &doc); err != nil {
		panic("devices: device_models.json: " + err.Error()) // TestDeviceCatalogIsValid holds it
	}
	m := map[string]*Model{}
	for _, d := range doc.DeviceModels {
		d.Object = "deviceModel"
		m[d.ID] = d
	}
	return m
}()

// ModelTypes are the device types of the reference.
var ModelTypes = []string{"car", "iot", "laptop", "router", "smartphone", "feature-phone", "smartwatch", "tablet", "wearable", "other"}

// Brands lists the catalogue's brands in alphabetical order.
func Brands() []Brand {
	var names []string
	for _, m := range models {
		if !slices.Contains(names, m.Brand) {
			names = append(names, m.Brand)
		}
	}
	slices.Sort(names)
	out := make([]Brand, len(names))
	for i, n := range names {
		out[i] = Brand{Object: "deviceModelBrand", Name: n}
	}
	return out
}

// supports reports whether a device of model m can take a SIM of a plan
// with simTypes: a device of an unknown model is taken on trust.
func (m *Model) supports(simTypes []string) bool {
	if m == nil {
		return true
	}
	for _, t := range m.SIMTypes {
		if slices.Contains(simTypes, t) {
			return true
		}
	}
	return false
}

// ModelID finds a catalogue model's id by brand and name ("" if none).
func ModelID(brand, name string) string {
	for _, m := range models {
		if m.Brand == brand && m.Name == name {
			return m.ID
		}
	}
	return ""
}
