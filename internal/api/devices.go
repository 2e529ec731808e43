package api

import (
	"net/http"
	"time"

	"cellgate/internal/devices"
	"cellgate/internal/store"
)

// deviceRoutes are the devices of a project's users and the catalogue's
// brands (docs/devices.md).
func (s *Server) deviceRoutes() {
	s.read("GET /deviceModelBrands", s.listDeviceModelBrands)
	s.write("POST /projects/{project}/devices", http.StatusCreated, s.createDevice)
	s.read("GET /projects/{project}/devices", s.listDevices)
	s.read("GET /projects/{project}/devices/{device}", readByID(s, "device", "device", devices.Get))
	s.write("PATCH /projects/{project}/devices/{device}", http.StatusOK, s.updateDevice)
}

func (s *Server) listDeviceModelBrands(rq *request) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	return newList(devices.Brands(), nil, nil), nil
}

func (s *Server) createDevice(rq *request, tx *store.Tx, now time.Time) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in devices.Input
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return devices.Create(rq.ctx, tx, rq.project, in, now)
}

func (s *Server) listDevices(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams("sim", "user")...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	var f devices.Filter
	if f.SIM, err = q.id("sim"); err != nil {
		return nil, err
	}
	if f.User, err = q.id("user"); err != nil {
		return nil, err
	}
	return listOf(devices.List(rq.ctx, s.db, rq.project, f, p))
}

func (s *Server) updateDevice(rq *request, tx *store.Tx, now time.Time) (any, error) {
	id, err := pathID(rq.Request, "device", "device")
	if err != nil {
		return nil, err
	}
	if _, err := devices.Get(rq.ctx, tx, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in devices.Input
	if err := rq.decode(&in); err != nil {
		return nil, err
	}
	return devices.Update(rq.ctx, tx, rq.project, id, in, now)
}
