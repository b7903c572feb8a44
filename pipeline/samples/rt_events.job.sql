CREATE ROUTINE LOAD app.rt_events_rl ON rt_events
PROPERTIES (
  "desired_concurrent_number" = "8", "max_batch_interval" = "10",
  "max_batch_rows" = "500000", "max_batch_size" = "536870912", -- 512MB
  "format" = "json",
  "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]",
  "strict_mode" = "false" -- tolerate minor type drift
)
FROM KAFKA (
  "kafka_broker_list" = "broker1:9092,broker2:9092", "kafka_topic" = "events",
  "kafka_default_offsets" = "OFFSET_BEGINNING" -- or a timestamp
);
