-- The seed example's table: click events with the raw event kept as JSON.
CREATE TABLE rt_events (
  event_time DATETIME, user_id BIGINT, action VARCHAR(32), attr_json JSON
) DUPLICATE KEY(event_time, user_id) DISTRIBUTED BY HASH(user_id) BUCKETS 32;
