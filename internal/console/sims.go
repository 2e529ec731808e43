package console

import "cellgate/internal/sims"

func init() {
	Register(Page{Route: "GET /sims/{sim}/credentials", Credentials: true, Handle: (*Console).simCredentials})
}

// simCredentials shows an eSIM's activation code, to owners and developers
// only, after the confirm on the subscription page.
func (c *Console) simCredentials(rq *request) (*answer, error) {
	id, err := pathID(rq, "sim", "sim")
	if err != nil {
		return nil, err
	}
	cred, err := sims.GetCredentials(rq.ctx, c.db, rq.project.ID, id, c.source)
	if err != nil {
		return nil, err
	}
	return &answer{page: "credentials", data: cred}, nil
}
