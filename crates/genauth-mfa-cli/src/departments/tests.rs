use super::*;
use serde_json::{Value, json};

fn org(code: &str, name: &str) -> Organization {
    serde_json::from_value(json!({"organizationCode": code, "organizationName": name,
        "departmentId": format!("{code}-root")}))
    .unwrap()
}

fn dept(id: &str, name: &str, parent: &str) -> Department {
    serde_json::from_value(json!({"departmentId": id, "name": name, "parentDepartmentId": parent}))
        .unwrap()
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_user_counts_once_in_each_department_above_theirs() {
    let mut d = Departments::default();
    // Children listed before their parent; a parent link that loops.
    d.add(
        &org("acme", "Acme"),
        &[
            dept("sre", "SRE", "platform"),
            dept("platform", "Platform", "eng"),
            dept("eng", "Engineering", "acme-root"),
            dept("web", "Web", "eng"),
            dept("a", "A", "b"),
            dept("b", "B", "a"),
        ],
    );
    assert_eq!(
        d.paths(Some(&ids(&["sre", "x"]))),
        [
            "Acme / Engineering / Platform / SRE",
            "(unknown department) x"
        ]
    );
    d.count(Some(&ids(&["sre", "web"])), true);
    d.count(Some(&ids(&["platform"])), false);
    d.count(Some(&[]), true);
    d.count(None, false);
    d.count(Some(&ids(&["gone"])), true);
    let f = d.figures();
    let get = |k: &str| serde_json::to_value(f[k]).unwrap();
    assert_eq!(
        get("Acme"),
        json!({"users": 2, "withoutEffectiveMfa": 1, "coverage": 0.5})
    );
    assert_eq!(
        get("Acme / Engineering"),
        json!({"users": 2, "withoutEffectiveMfa": 1, "coverage": 0.5})
    );
    assert_eq!(get("Acme / Engineering / Platform / SRE")["users"], 1);
    assert_eq!(get("Acme / Engineering / Web")["coverage"], 0.0);
    // A user the server sent no department ids for is not in "(none)".
    assert_eq!(
        get("(none)"),
        json!({"users": 1, "withoutEffectiveMfa": 1, "coverage": 0.0})
    );
    assert_eq!(get("(unknown department)")["users"], 2);
    assert_eq!(get("Acme / Engineering / Platform")["users"], 2);
    // A loop ends: each path is bounded.
    assert!(f.keys().any(|k| k.ends_with(" / A")), "{f:?}");
    assert_eq!(
        f.values().filter(|v| v.coverage.is_none()).count(),
        2,
        "{f:?}"
    );
    let _: Value = serde_json::to_value(&f).unwrap();
}

#[test]
fn two_departments_with_one_path_stay_apart() {
    let mut d = Departments::default();
    d.add(
        &org("acme", "Acme"),
        &[
            dept("s1", "Sales", "acme-root"),
            dept("s2", "Sales", "acme-root"),
        ],
    );
    d.count(Some(&ids(&["s2"])), false);
    let f = d.figures();
    assert_eq!(
        f["Acme / Sales"].users + f["Acme / Sales [s2]"].users,
        1,
        "{f:?}"
    );
}

#[test]
fn a_rows_departments_are_bounded_and_say_how_many_are_left_out() {
    let d = Departments::default();
    let many: Vec<String> = (0..2000).map(|i| format!("unknown-{i:05}")).collect();
    let paths = d.paths(Some(&many));
    let size: usize = paths.iter().map(|p| written(p)).sum();
    assert!(size <= MAX_CELL + 64, "{size}");
    let last = paths.last().unwrap();
    assert_eq!(
        *last,
        format!("({} more departments)", 2000 - (paths.len() - 1))
    );
    let mut long = "\\\"é".repeat(5000);
    cut(&mut long, MAX_PATH);
    assert!(written(&long) <= MAX_PATH, "{}", written(&long));
    assert!(long.ends_with('…'));
}
