package api

import (
	"net/http"

	"cellgate/internal/optional"
	"cellgate/internal/projects"
	"cellgate/internal/snapshots"
	"cellgate/internal/store"
	"cellgate/internal/validate"
)

// snapshotRoutes registers the test-project tools: snapshots and reset.
// Each runs in a transaction of its own that takes the project's clock
// lock exclusively before anything else (outsideTx), rather than inside
// the write wrapper, which already holds it shared: two such requests
// upgrading at once would deadlock. A restore also replaces the project's
// stored Idempotency-Key answers, so its own is stored after it.
func (s *Server) snapshotRoutes() {
	s.outsideTxStatus("POST /testing/projects/{project}/snapshots", http.StatusCreated, s.createSnapshot)
	s.read("GET /testing/projects/{project}/snapshots", s.listSnapshots)
	s.read("GET /testing/projects/{project}/snapshots/{snapshot}", s.getSnapshot)
	s.outsideTx("POST /testing/projects/{project}/snapshots/{snapshot}/restore", s.restoreSnapshot)
	s.outsideTx("POST /testing/projects/{project}/reset", s.resetProject)
}

// snapshotInput is the body of POST .../snapshots.
type snapshotInput struct {
	Name optional.Value[string] `json:"name"`
}

func (s *Server) createSnapshot(rq *request) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	var in snapshotInput
	if err := rq.decodeOptional(&in); err != nil {
		return nil, err
	}
	if err := validate.NotNull("name", in.Name.Null); err != nil {
		return nil, err
	}
	if err := validate.MaxLength("name", in.Name.Value, 200); err != nil {
		return nil, err
	}
	var out *snapshots.Snapshot
	err := s.db.InTx(rq.ctx, func(tx *store.Tx) error {
		now, err := projects.Now(rq.ctx, tx, rq.project)
		if err != nil {
			return err
		}
		out, err = snapshots.Create(rq.ctx, tx, rq.project, in.Name.Value, now)
		return err
	})
	return out, err
}

func (s *Server) listSnapshots(rq *request) (any, error) {
	q, err := parseQuery(rq.Request, listParams()...)
	if err != nil {
		return nil, err
	}
	p, err := q.page()
	if err != nil {
		return nil, err
	}
	return listOf(snapshots.List(rq.ctx, s.db, rq.project, p))
}

func (s *Server) getSnapshot(rq *request) (any, error) {
	id, err := pathID(rq.Request, "snapshot", "testSnapshot")
	if err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	return snapshots.Get(rq.ctx, s.db, rq.project, id)
}

func (s *Server) restoreSnapshot(rq *request) (any, error) {
	id, err := pathID(rq.Request, "snapshot", "testSnapshot")
	if err != nil {
		return nil, err
	}
	if _, err := snapshots.Get(rq.ctx, s.db, rq.project, id); err != nil {
		return nil, err
	}
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	if err := rq.decodeOptional(&struct{}{}); err != nil {
		return nil, err
	}
	var out *snapshots.Snapshot
	err = s.db.InTx(rq.ctx, func(tx *store.Tx) error {
		out, err = snapshots.Restore(rq.ctx, tx, rq.project, id)
		return err
	})
	return out, err
}

// resetProject clears the project's data; its clock, settings, API keys
// and snapshots stay.
func (s *Server) resetProject(rq *request) (any, error) {
	if err := rq.noQuery(); err != nil {
		return nil, err
	}
	if err := rq.decodeOptional(&struct{}{}); err != nil {
		return nil, err
	}
	if err := s.db.InTx(rq.ctx, func(tx *store.Tx) error { return snapshots.Reset(rq.ctx, tx, rq.project) }); err != nil {
		return nil, err
	}
	// The answer is the clock, which a reset keeps.
	return s.getClock(rq)
}
