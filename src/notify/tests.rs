//! The notifier's exact bytes per channel, its rules (kinds, repo globs), the rate cap, quiet
//! hours, hostile text, and the command's stdin JSON, timeout and failure.

use super::*;
use crate::config::{NotifyRule, NotifyVia, QuietHours};
use crate::domain::{ActivityEntry, Change, RepoId};

fn rule(via: NotifyVia) -> NotifyRule {
    NotifyRule {
        kinds: None,
        repos: Vec::new(),
        via,
        quiet: None,
        max_per_minute: 5,
    }
}

fn entry(repo: &str, change: Change) -> ActivityEntry {
    ActivityEntry {
        seq: 7,
        repo: RepoId(42),
        full_name: repo.to_string(),
        at: DateTime::parse_from_rfc3339("2026-11-30T05:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default(),
        change,
        read: false,
    }
}

fn release(repo: &str) -> ActivityEntry {
    entry(repo, Change::NewRelease { tag: "v1.2".into() })
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn noon() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()
}

fn one(rules: &[NotifyRule], tmux: bool, e: &ActivityEntry) -> Vec<Delivery> {
    Notifier::new(rules, tmux).on_activity(std::slice::from_ref(e), t0(), noon())
}

#[test]
fn each_terminal_channel_sends_its_exact_bytes() {
    let e = release("octo-org/app");
    let bytes = |via, tmux| one(&[rule(via)], tmux, &e);
    assert_eq!(
        bytes(NotifyVia::Bell, false),
        vec![Delivery::Terminal(b"\x07".to_vec())]
    );
    // Not wrapped in tmux: tmux handles the bell itself.
    assert_eq!(
        bytes(NotifyVia::Bell, true),
        vec![Delivery::Terminal(b"\x07".to_vec())]
    );
    assert_eq!(
        bytes(NotifyVia::Osc9, false),
        vec![Delivery::Terminal(
            b"\x1b]9;repodeck: octo-org/app: new release v1.2\x07".to_vec()
        )]
    );
    assert_eq!(
        bytes(NotifyVia::Osc777, false),
        vec![Delivery::Terminal(
            b"\x1b]777;notify;repodeck: octo-org/app;new release v1.2\x07".to_vec()
        )]
    );
    assert_eq!(
        bytes(NotifyVia::Osc9, true),
        vec![Delivery::Terminal(
            b"\x1bPtmux;\x1b\x1b]9;repodeck: octo-org/app: new release v1.2\x07\x1b\\".to_vec()
        )]
    );
    assert_eq!(
        bytes(NotifyVia::Osc777, true),
        vec![Delivery::Terminal(
            b"\x1bPtmux;\x1b\x1b]777;notify;repodeck: octo-org/app;new release v1.2\x07\x1b\\"
                .to_vec()
        )]
    );
}

#[test]
fn the_command_gets_the_change_as_json_on_stdin() {
    let via = NotifyVia::Command {
        argv: vec!["notify-send".into(), "repodeck".into()],
        timeout: Duration::from_secs(3),
    };
    let e = entry(
        "octo-org/app",
        Change::PrOpened {
            number: 12,
            title: "Fix it".into(),
        },
    );
    let out = one(&[rule(via)], false, &e);
    let [
        Delivery::Command {
            argv,
            timeout,
            stdin,
        },
    ] = out.as_slice()
    else {
        panic!("one command expected: {out:?}");
    };
    assert_eq!(argv, &["notify-send".to_string(), "repodeck".to_string()]);
    assert_eq!(*timeout, Duration::from_secs(3));
    assert_eq!(stdin.last(), Some(&b'\n'));
    let got: Value = serde_json::from_slice(stdin).unwrap();
    let want = json!({
        "seq": 7,
        "repo": "octo-org/app",
        "repo_id": 42,
        "at": "2026-11-30T05:00:00Z",
        "kind": "pr_opened",
        "change": {"kind": "pr_opened", "repo": "octo-org/app", "number": 12, "title": "Fix it", "text": "PR #12 opened: Fix it"},
        "text": "PR #12 opened: Fix it",
        "read": false,
        "title": "repodeck: octo-org/app",
        "body": "PR #12 opened: Fix it",
    });
    assert_eq!(got, want);
}

#[test]
fn hostile_text_cannot_end_the_sequence_or_add_fields() {
    let evil =
        "x\u{7}\u{1b}]777;notify;pwned;now\u{7}\u{1b}\\\u{9d}52;c;aGk=\u{9c}; rm -rf /\u{1b}[31m";
    let e = entry(
        "octo-org/app",
        Change::IssueOpened {
            number: 1,
            title: evil.into(),
        },
    );
    for tmux in [false, true] {
        for via in [NotifyVia::Osc9, NotifyVia::Osc777] {
            let out = one(&[rule(via.clone())], tmux, &e);
            let [Delivery::Terminal(bytes)] = out.as_slice() else {
                panic!("{out:?}");
            };
            let text = String::from_utf8(bytes.clone()).unwrap();
            let inner = if tmux {
                text.strip_prefix("\x1bPtmux;\x1b\x1b]")
                    .and_then(|t| t.strip_suffix("\x07\x1b\\"))
            } else {
                text.strip_prefix("\x1b]")
                    .and_then(|t| t.strip_suffix('\x07'))
            };
            let inner = inner.unwrap_or_else(|| panic!("framing broken: {text:?}"));
            assert!(
                !inner.chars().any(|c| c.is_control()),
                "control character inside the payload: {inner:?}"
            );
            let fields = if via == NotifyVia::Osc9 { 2 } else { 4 };
            assert_eq!(inner.split(';').count(), fields, "{inner:?}");
        }
    }
    assert_eq!(payload("a;b\u{7}c\u{1b}]9;d\u{7}e"), "a,bce");
}

#[test]
fn kinds_and_repo_globs_select_changes() {
    let mut r = rule(NotifyVia::Bell);
    r.kinds = Some(vec!["new_release".into(), "force_pushed".into()]);
    r.repos = vec!["octo-org/*".into(), "me/tool".into()];
    let rules = [r];
    let hit = |e: &ActivityEntry| !one(&rules, false, e).is_empty();
    assert!(hit(&release("octo-org/app")));
    assert!(
        hit(&release("Octo-Org/App")),
        "GitHub names are case-insensitive"
    );
    assert!(hit(&release("me/tool")));
    assert!(!hit(&release("other/app")));
    assert!(!hit(&release("me/tools")));
    assert!(!hit(&entry("octo-org/app", Change::Stars { delta: 3 })));
    assert!(hit(&entry(
        "octo-org/app",
        Change::ForcePushed {
            old_head: "a".repeat(40),
            new_head: "b".repeat(40)
        }
    )));
}

#[test]
fn the_rate_cap_summarizes_the_rest_in_one_notification() {
    let mut r = rule(NotifyVia::Osc777);
    r.max_per_minute = 2;
    let mut n = Notifier::new(&[r], false);
    let burst: Vec<_> = ["a/1", "a/2", "a/3", "b/1", "a/3"]
        .iter()
        .map(|x| release(x))
        .collect();
    assert_eq!(n.on_activity(&burst, t0(), noon()).len(), 2);
    let later = t0() + chrono::TimeDelta::seconds(30);
    assert!(n.on_activity(&[release("c/1")], later, noon()).is_empty());
    assert!(
        n.tick(t0() + chrono::TimeDelta::seconds(59), noon())
            .is_empty()
    );
    let end = t0() + chrono::TimeDelta::seconds(61);
    let summary = n.tick(end, noon());
    assert_eq!(
        summary,
        vec![Delivery::Terminal(
            b"\x1b]777;notify;repodeck;4 more changes in 3 repos (a/3, b/1, c/1)\x07".to_vec()
        )]
    );
    assert!(
        n.tick(end + chrono::TimeDelta::seconds(1), noon())
            .is_empty()
    );
    // The summary opened the next window: one more fits under the cap of 2, then none.
    assert_eq!(n.on_activity(&[release("d/1")], end, noon()).len(), 1);
    assert!(n.on_activity(&[release("d/2")], end, noon()).is_empty());
    // A window that held nothing back ends silently.
    let mut quiet_n = Notifier::new(&[rule(NotifyVia::Bell)], false);
    assert_eq!(
        quiet_n.on_activity(&[release("a/1")], t0(), noon()).len(),
        1
    );
    assert!(quiet_n.tick(end, noon()).is_empty());
}

#[test]
fn quiet_hours_silence_a_rule_in_local_time() {
    let mut r = rule(NotifyVia::Bell);
    r.quiet = Some(QuietHours {
        from: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        to: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
    });
    let loud = rule(NotifyVia::Osc9);
    let mut n = Notifier::new(&[r, loud], false);
    let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let e = [release("a/1")];
    let night = n.on_activity(&e, t0(), at(23, 30));
    assert_eq!(
        night.len(),
        1,
        "only the rule without quiet hours: {night:?}"
    );
    assert!(matches!(&night[0], Delivery::Terminal(b) if b.starts_with(b"\x1b]9;")));
    assert_eq!(n.on_activity(&e, t0(), at(6, 59)).len(), 1);
    // At 07:00 the quiet rule first says what it silenced (one bell), then rings for the new one.
    assert_eq!(n.on_activity(&e, t0(), at(7, 0)).len(), 3);
}

#[test]
fn the_end_of_quiet_hours_sends_one_summary_of_what_they_silenced() {
    let mut r = rule(NotifyVia::Osc777);
    r.quiet = Some(QuietHours {
        from: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        to: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
    });
    r.max_per_minute = 2;
    let mut n = Notifier::new(&[r], false);
    let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let secs = chrono::TimeDelta::seconds;
    // Before quiet hours: two delivered, two held by the cap of 2 a minute.
    let evening: Vec<_> = ["a/1", "a/2", "a/3", "b/1"]
        .iter()
        .map(|x| release(x))
        .collect();
    assert_eq!(n.on_activity(&evening, t0(), at(21, 59)).len(), 2);
    // The cap's window ends inside quiet hours: its summary joins the quiet hours' one.
    assert!(n.tick(t0() + secs(61), at(22, 0)).is_empty());
    let night: Vec<_> = ["c/1", "a/3", "octo;evil\x1b]/x"]
        .iter()
        .map(|x| release(x))
        .collect();
    assert!(
        n.on_activity(&night, t0() + secs(3600), at(23, 0))
            .is_empty()
    );
    // (The escape sequence in the last name is removed, its `;` becomes `,`.)
    assert!(n.tick(t0() + secs(7200), at(6, 59)).is_empty());
    let morning = n.tick(t0() + secs(8 * 3600), at(7, 0));
    assert_eq!(
        morning,
        vec![Delivery::Terminal(
            b"\x1b]777;notify;repodeck;5 changes during quiet hours: a/3, b/1, c/1, octo,evil\x07"
                .to_vec()
        )]
    );
    assert!(
        n.tick(t0() + secs(8 * 3600 + 5), at(7, 0)).is_empty(),
        "one summary"
    );
    // A command gets it as JSON.
    let argv = vec!["notify-send".to_string()];
    let mut c = rule(NotifyVia::Command {
        argv: argv.clone(),
        timeout: Duration::from_secs(5),
    });
    c.quiet = Some(QuietHours {
        from: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        to: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
    });
    let mut n = Notifier::new(&[c], false);
    assert!(n.on_activity(&[release("a/1")], t0(), at(23, 0)).is_empty());
    let sent = n.tick(t0() + secs(60), at(8, 0));
    let Some(Delivery::Command { stdin, .. }) = sent.first() else {
        panic!("{sent:?}");
    };
    assert_eq!(
        String::from_utf8_lossy(stdin),
        "{\"body\":\"1 change during quiet hours: a/1\",\"count\":1,\"kind\":\"quiet_summary\",\"repos\":[\"a/1\"],\"title\":\"repodeck\"}\n"
    );
}

#[tokio::test]
async fn a_command_runs_with_the_json_and_a_failing_or_hanging_one_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("got.json");
    let argv: Vec<String> = vec![
        "sh".into(),
        "-c".into(),
        "cat > \"$1\"".into(),
        "sh".into(),
        file.display().to_string(),
    ];
    run_command(&argv, Duration::from_secs(5), b"{\"kind\":\"x\"}\n")
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"kind\":\"x\"}\n"
    );
    let e = run_command(&["false".into()], Duration::from_secs(5), b"")
        .await
        .unwrap_err();
    assert!(e.contains("exited"), "{e}");
    let e = run_command(&["/no/such/program".into()], Duration::from_secs(5), b"")
        .await
        .unwrap_err();
    assert!(e.contains("cannot start"), "{e}");
    let started = std::time::Instant::now();
    let e = run_command(
        &["sleep".into(), "30".into()],
        Duration::from_millis(200),
        b"",
    )
    .await
    .unwrap_err();
    assert!(e.contains("still running"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
