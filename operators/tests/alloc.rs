//! The hot path allocates nothing per message or per field once warm: after one batch has
//! sized the buffers, pushing the same kind of messages again (fewer than a chunk's worth of
//! rows, so no Arrow batch is cut) performs no heap allocation for any loaded, NULL-filled,
//! truncated or unselected row. A filtered row allocates its error record (the reason and
//! the source line it keeps), and nothing else. Counted with a global allocator that tallies
//! every allocation on the test's thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use routinely_operators::row::{LoadPlan, Message, RowPath};
use routinely_schemas::sql::{Statement, parse_create_table, parse_statement};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: delegates to the system allocator; the counters are thread-local cells that never
// allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note() {
    let _ = COUNTING.try_with(|c| {
        if c.get() {
            let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
        }
    });
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCS.with(|a| a.get())
}

fn plan(table: &str, job: &str) -> Arc<LoadPlan> {
    let table = parse_create_table(table).expect("table");
    let Ok(Statement::CreateRoutineLoad(job)) = parse_statement(job) else {
        panic!("job");
    };
    Arc::new(LoadPlan::new(&table, &job).expect("plan"))
}

/// Allocations a filtered row may make for its error record (reason and source line).
const PER_REJECTED_ROW: u64 = 8;

/// Pushes `msgs` as one warm-up batch; then, in a second batch, pushes them once more
/// (each column's first NULL of a batch allocates its validity bitmap, once per Arrow
/// batch) and counts allocations while pushing them a third time. Returns the allocations
/// beyond what the pass's filtered rows may use.
fn steady_state_allocations(plan: Arc<LoadPlan>, msgs: &[&[u8]]) -> u64 {
    let mut path = RowPath::new(plan);
    path.set_chunk_rows(1 << 20);
    let push_all = |path: &mut RowPath| {
        for (i, m) in msgs.iter().enumerate() {
            path.push(Message {
                partition: 0,
                offset: i as i64,
                value: m,
            });
        }
    };
    path.begin_batch(1_700_000_000_000_000);
    push_all(&mut path);
    push_all(&mut path);
    let warm = path.finish();
    assert!(
        warm.counts.loaded > 0,
        "warm-up loaded nothing: {:?}",
        warm.rejected
    );
    path.begin_batch(1_700_000_001_000_000);
    push_all(&mut path);
    let n = allocations_during(|| push_all(&mut path));
    let again = path.finish();
    assert_eq!(again.counts, warm.counts);
    let rejected_in_pass = again.counts.filtered / 2;
    n.saturating_sub(rejected_in_pass * PER_REJECTED_ROW)
}

const EVENTS_TABLE: &str = "CREATE TABLE rt_events (event_time DATETIME, user_id BIGINT, \
    action VARCHAR(32), attr_json JSON) DUPLICATE KEY(event_time, user_id) \
    DISTRIBUTED BY HASH(user_id) BUCKETS 32";

const EVENTS: &[&str] = &[
    r#"{"event_time":"2025-11-20 10:00:00","user_id":1205264596,"action":"click","attr":{"page":"/checkout","ref":"https://www.google.com/","ua":"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0","items":[{"sku":"SKU-000123","qty":2,"price":19.99}],"session":"815ef6d13b8faa18"}}"#,
    r#"{"event_time":"2025-11-20T10:00:03Z","user_id":"199170185","action":"view","attr":{"page":"/c/electronics/p/28894","ref":"direct","ua":"curl/8.4.0","items":[]}}"#,
    r#"{"event_time":"yesterday","user_id":"abc","action":7,"attr":"{\"page\":\"/\"}"}"#,
    r#"{"event_time":"2025-11-20 10:00:02","user_id":12.5,"action":"a-very-long-action-name-that-does-not-fit-32","attr":{"geo":{"lat":50.8626,"lon":1.0}}}"#,
    r#"{ "event_time" : "2025-11-20 10:00:04", "user_id" : 7 }"#,
];

// Issue 2: "The hot path allocates nothing per message or per field once warm".
#[test]
fn json_jsonpaths_path_is_allocation_free_when_warm() {
    let job = r#"CREATE ROUTINE LOAD j ON rt_events PROPERTIES ("format" = "json",
        "jsonpaths" = "[\"$.event_time\",\"$.user_id\",\"$.action\",\"$\"]", "timezone" = "UTC")
        FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#;
    let msgs: Vec<&[u8]> = EVENTS.iter().map(|s| s.as_bytes()).collect();
    assert_eq!(steady_state_allocations(plan(EVENTS_TABLE, job), &msgs), 0);
}

#[test]
fn json_simple_mode_with_strict_mode_is_allocation_free_when_warm() {
    let table = "CREATE TABLE t (event_time DATETIME(3), user_id BIGINT NOT NULL, action VARCHAR(8), \
        attr STRING) DUPLICATE KEY(event_time) DISTRIBUTED BY HASH(event_time) BUCKETS 1";
    let job = r#"CREATE ROUTINE LOAD j ON t PROPERTIES ("format" = "json", "strict_mode" = "true",
        "timezone" = "Asia/Shanghai") FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#;
    let msgs: Vec<&[u8]> = EVENTS.iter().map(|s| s.as_bytes()).collect();
    let p = plan(table, job);
    assert_eq!(steady_state_allocations(p.clone(), &msgs), 0);
    // The clean messages alone: not one allocation.
    assert_eq!(steady_state_allocations(p, &msgs[..2]), 0);
}

#[test]
fn csv_with_mappings_and_where_is_allocation_free_when_warm() {
    let table = "CREATE TABLE t (k1 INT, name VARCHAR(16), price DECIMAL(10,2), day DATE, \
        label STRING) DUPLICATE KEY(k1) DISTRIBUTED BY HASH(k1) BUCKETS 1";
    let job = r#"CREATE ROUTINE LOAD j ON t COLUMNS TERMINATED BY ",",
        COLUMNS(k1, name, tmp_price, ts, price = tmp_price * 2, day = from_unixtime(ts, '%Y-%m-%d'),
                label = concat(upper(name), '-', substr(name, 2, 3))),
        WHERE k1 > 0
        PROPERTIES ("timezone" = "UTC", "enclose" = "\"", "escape" = "\\")
        FROM KAFKA ("kafka_broker_list" = "b:9092", "kafka_topic" = "t")"#;
    let msgs: Vec<&[u8]> = vec![
        b"1,alice,9.99,1700000000",
        b"2,\"bob, jr\",10,1700086400\n3,carol,x,1700172800",
        b"-1,neg,1,1",
        b"4,too many,fields,1,2",
        b"5,\\N,,",
    ];
    assert_eq!(steady_state_allocations(plan(table, job), &msgs), 0);
}
