//! Matching throughput on a generated GeoJSON-like dataset.
//!
//! 200,000 events of about 900 bytes are generated with a fixed seed (in the
//! shape of the San Francisco "citylots" features event-ruler benchmarks
//! with: nested `properties`, a polygon of numeric coordinates, string
//! fields). Each benchmark matches batches of events, walking through the
//! whole dataset, against five rules of one operator kind, or against 10 vs
//! 10,000 generated exact-match rules. Criterion reports elements/s, i.e.
//! events per second.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrybridge_pattern::{EventPattern, Matcher};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const EVENTS: usize = 200_000;
const BATCH: usize = 10_000;

const STREETS: &[&str] = &[
    "CRANLEIGH",
    "FULTON",
    "MASON",
    "ACEVEDO",
    "ACADIA",
    "VALENCIA",
    "MISSION",
    "JESSIE",
    "BRYANT",
    "CLAY",
    "POWELL",
    "JONES",
    "TAYLOR",
    "HYDE",
    "LARKIN",
    "POLK",
    "VAN NESS",
    "FRANKLIN",
    "GOUGH",
    "OCTAVIA",
];
const ST_TYPES: &[&str] = &["ST", "AVE", "WAY", "BLVD", "CT", "LN", "TER"];
const CATEGORIES: &[&str] = &[
    "residential",
    "commercial",
    "industrial",
    "Park",
    "school",
    "vacant",
];

fn event(rng: &mut StdRng, n: usize) -> String {
    let street = STREETS[rng.gen_range(0..STREETS.len())];
    let st_type = ST_TYPES[rng.gen_range(0..ST_TYPES.len())];
    let category = CATEGORIES[rng.gen_range(0..CATEGORIES.len())];
    let block = rng.gen_range(1..9000);
    let lot = rng.gen_range(1..400);
    let ip = format!(
        "{}.{}.{}.{}",
        [10, 172, 192, 54][rng.gen_range(0..4)],
        rng.gen_range(0..256),
        rng.gen_range(0..256),
        rng.gen_range(1..255)
    );
    let (x, y): (f64, f64) = (
        -122.52 + rng.gen::<f64>() * 0.17,
        37.70 + rng.gen::<f64>() * 0.12,
    );
    let ring: Vec<String> = (0..13)
        .map(|i| {
            let dx = f64::from(i % 4) * 0.0001 + rng.gen::<f64>() * 0.00001;
            let dy = f64::from(i / 4) * 0.0001;
            format!("[{:.9},{:.9},0]", x + dx, y + dy)
        })
        .collect();
    let optional = if rng.gen_bool(0.5) {
        format!(r#""FROM_ST":"{}","#, rng.gen_range(0..2000))
    } else {
        String::new()
    };
    format!(
        concat!(
            r#"{{"type":"Feature","id":"lot-{n:06}","properties":{{"MAPBLKLOT":"{block:04}{lot:03}","BLKLOT":"{block:04}{lot:03}","#,
            r#""BLOCK_NUM":"{block:04}","LOT_NUM":"{lot:03}",{optional}"TO_ST":"{to}","STREET":"{street}","ST_TYPE":"{st_type}","#,
            r#""ODD_EVEN":"{odd}","category":"{category}","population":{population},"area":{area:.2},"elevation":{elevation},"#,
            r#""owner":{{"name":"Owner {n}","email":"owner{n}@example.com","source_ip":"{ip}"}},"#,
            r#""tags":["{category}","{st_type_lower}","block-{block}"],"updated":"2023-{month:02}-{day:02}T12:00:00Z"}},"#,
            r#""geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}"#
        ),
        n = n,
        block = block,
        lot = lot,
        optional = optional,
        to = rng.gen_range(0..2000),
        street = street,
        st_type = st_type,
        odd = if rng.gen_bool(0.5) { "O" } else { "E" },
        category = category,
        population = rng.gen_range(0..20_000),
        area = rng.gen::<f64>() * 5000.0,
        elevation = rng.gen_range(-10..300),
        ip = ip,
        st_type_lower = st_type.to_lowercase(),
        month = rng.gen_range(1..13),
        day = rng.gen_range(1..29),
        ring = ring.join(","),
    )
}

fn dataset() -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(0x5eed_f00d);
    (0..EVENTS).map(|n| event(&mut rng, n)).collect()
}

fn rules(patterns: &[&str]) -> Matcher<usize> {
    let mut matcher = Matcher::new();
    for (i, p) in patterns.iter().enumerate() {
        matcher.add(
            i,
            &EventPattern::parse(p).expect("benchmark pattern is valid"),
        );
    }
    matcher
}

/// Five rules per operator kind, on different fields.
fn kinds() -> Vec<(&'static str, Matcher<usize>)> {
    vec![
        (
            "exact",
            rules(&[
                r#"{"properties": {"STREET": ["CRANLEIGH"]}}"#,
                r#"{"properties": {"ST_TYPE": ["BLVD"]}}"#,
                r#"{"properties": {"category": ["industrial"]}}"#,
                r#"{"type": ["Feature"], "properties": {"ODD_EVEN": ["O"], "LOT_NUM": ["007"]}}"#,
                r#"{"geometry": {"type": ["Point"]}}"#,
            ]),
        ),
        (
            "prefix",
            rules(&[
                r#"{"properties": {"STREET": [{"prefix": "AC"}]}}"#,
                r#"{"properties": {"MAPBLKLOT": [{"prefix": "12"}]}}"#,
                r#"{"properties": {"updated": [{"prefix": "2023-07"}]}}"#,
                r#"{"properties": {"owner": {"email": [{"prefix": "owner1"}]}}}"#,
                r#"{"id": [{"prefix": "lot-0001"}]}"#,
            ]),
        ),
        (
            "suffix",
            rules(&[
                r#"{"properties": {"STREET": [{"suffix": "IA"}]}}"#,
                r#"{"properties": {"MAPBLKLOT": [{"suffix": "001"}]}}"#,
                r#"{"properties": {"updated": [{"suffix": "T12:00:00Z"}]}}"#,
                r#"{"properties": {"owner": {"email": [{"suffix": "@example.org"}]}}}"#,
                r#"{"id": [{"suffix": "99"}]}"#,
            ]),
        ),
        (
            "equals-ignore-case",
            rules(&[
                r#"{"properties": {"STREET": [{"equals-ignore-case": "mission"}]}}"#,
                r#"{"properties": {"category": [{"equals-ignore-case": "PARK"}]}}"#,
                r#"{"properties": {"ST_TYPE": [{"equals-ignore-case": "ave"}]}}"#,
                r#"{"properties": {"tags": [{"equals-ignore-case": "SCHOOL"}]}}"#,
                r#"{"geometry": {"type": [{"equals-ignore-case": "polygon"}]}}"#,
            ]),
        ),
        (
            "wildcard",
            rules(&[
                r#"{"properties": {"STREET": [{"wildcard": "*AN*"}]}}"#,
                r#"{"properties": {"owner": {"email": [{"wildcard": "owner*7@example.com"}]}}}"#,
                r#"{"properties": {"updated": [{"wildcard": "2023-0*-1*"}]}}"#,
                r#"{"id": [{"wildcard": "lot-*00"}]}"#,
                r#"{"properties": {"tags": [{"wildcard": "block-1*"}]}}"#,
            ]),
        ),
        (
            "numeric",
            rules(&[
                r#"{"properties": {"population": [{"numeric": [">", 1000, "<=", 5000]}]}}"#,
                r#"{"properties": {"area": [{"numeric": ["<", 100]}]}}"#,
                r#"{"properties": {"elevation": [{"numeric": [">=", 250]}]}}"#,
                r#"{"geometry": {"coordinates": [{"numeric": ["<", -122.5]}]}}"#,
                r#"{"geometry": {"coordinates": [{"numeric": [">", 37.81]}]}}"#,
            ]),
        ),
        (
            "anything-but",
            rules(&[
                r#"{"properties": {"STREET": [{"anything-but": ["FULTON", "MASON"]}]}}"#,
                r#"{"properties": {"category": [{"anything-but": "residential"}]}}"#,
                r#"{"properties": {"ST_TYPE": [{"anything-but": {"prefix": "A"}}]}}"#,
                r#"{"properties": {"elevation": [{"anything-but": [0, 1, 2]}]}}"#,
                r#"{"properties": {"ODD_EVEN": [{"anything-but": {"equals-ignore-case": "o"}}]}}"#,
            ]),
        ),
        (
            "exists",
            rules(&[
                r#"{"properties": {"FROM_ST": [{"exists": true}]}}"#,
                r#"{"properties": {"FROM_ST": [{"exists": false}]}}"#,
                r#"{"properties": {"owner": {"phone": [{"exists": true}]}}}"#,
                r#"{"properties": {"tags": [{"exists": true}]}}"#,
                r#"{"geometry": {"radius": [{"exists": false}]}}"#,
            ]),
        ),
        (
            "cidr",
            rules(&[
                r#"{"properties": {"owner": {"source_ip": [{"cidr": "10.0.0.0/8"}]}}}"#,
                r#"{"properties": {"owner": {"source_ip": [{"cidr": "172.16.0.0/12"}]}}}"#,
                r#"{"properties": {"owner": {"source_ip": [{"cidr": "192.168.1.0/24"}]}}}"#,
                r#"{"properties": {"owner": {"source_ip": [{"cidr": "54.240.0.0/16"}]}}}"#,
                r#"{"properties": {"owner": {"source_ip": [{"cidr": "2001:db8::/32"}]}}}"#,
            ]),
        ),
    ]
}

/// `count` exact rules: half on fields the events carry (with values most
/// events do not have), half on fields they lack.
fn exact_rules(count: usize) -> Matcher<usize> {
    let mut rng = StdRng::seed_from_u64(count as u64);
    let mut matcher = Matcher::new();
    for i in 0..count {
        let pattern = if i % 2 == 0 {
            format!(
                r#"{{"properties": {{"MAPBLKLOT": ["{:04}{:03}"]}}}}"#,
                rng.gen_range(1..9000),
                rng.gen_range(1..400)
            )
        } else {
            format!(
                r#"{{"properties": {{"field_{i}": ["value-{}"]}}, "type": ["Feature"]}}"#,
                rng.gen::<u32>()
            )
        };
        matcher.add(
            i,
            &EventPattern::parse(&pattern).expect("generated pattern is valid"),
        );
    }
    matcher
}

fn run(matcher: &Matcher<usize>, events: &[String], offset: &mut usize) -> usize {
    let mut hits = 0;
    for event in &events[*offset..*offset + BATCH] {
        hits += matcher.matching_json(event).map_or(0, |ids| ids.len());
    }
    *offset = (*offset + BATCH) % events.len();
    hits
}

fn bench(c: &mut Criterion) {
    let events = dataset();
    let mean = events.iter().map(String::len).sum::<usize>() / events.len();
    eprintln!("dataset: {} events, mean {mean} bytes", events.len());

    let mut group = c.benchmark_group("kind");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (kind, matcher) in kinds() {
        let mut offset = 0;
        group.bench_function(BenchmarkId::from_parameter(kind), |b| {
            b.iter(|| run(&matcher, &events, &mut offset))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("exact-rules");
    group.throughput(Throughput::Elements(BATCH as u64));
    for count in [10, 10_000] {
        let matcher = exact_rules(count);
        let mut offset = 0;
        group.bench_function(BenchmarkId::from_parameter(count), |b| {
            b.iter(|| run(&matcher, &events, &mut offset))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
