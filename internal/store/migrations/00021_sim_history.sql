-- +goose Up
-- The SIMs a subscription ran on before a SIM swap (docs/changes.md):
-- usage a carrier reports late for a swapped-out ICCID counts for the
-- subscription that had that ICCID when the usage happened. until_at is
-- when the swap moved the subscription off the SIM; change_id the swap.
CREATE TABLE subscription_sim_history (
    project_id      {{id}} NOT NULL REFERENCES projects (id),
    subscription_id {{id}} NOT NULL REFERENCES subscriptions (id),
    sim_id          {{id}} NOT NULL REFERENCES sims (id),
    change_id       {{id}} NOT NULL,
    until_at        BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, sim_id, until_at)
);
CREATE INDEX subscription_sim_history_by_sim ON subscription_sim_history (sim_id);

-- +goose Down
DROP TABLE subscription_sim_history;
