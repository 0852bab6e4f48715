//! The token stores: round trips, file safety (mode, atomic writes, lock), typed errors
//! that lose nothing, and two processes that must not overwrite a rotated token.

mod common;

use std::fs;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use clerk_core::PersistedState;
use clerk_store::{FileStore, MemoryStore, StoreError, TokenStore};
use common::{HOST, TempDir, state_with_token};

fn token(state: &PersistedState) -> Option<&str> {
    state.client_token.as_ref().map(|t| t.expose())
}

#[test]
fn memory_store_keeps_the_last_state_until_cleared() {
    let store: Box<dyn TokenStore> = Box::new(MemoryStore::new());
    assert_eq!(store.load().unwrap(), None);
    store.save(&state_with_token("tok_1")).unwrap();
    store.save(&state_with_token("tok_2")).unwrap();
    assert_eq!(store.load().unwrap(), Some(state_with_token("tok_2")));
    store.clear().unwrap();
    assert_eq!(store.load().unwrap(), None);
    let seeded = MemoryStore::with_state(state_with_token("tok_3"));
    assert_eq!(seeded.load().unwrap().as_ref().and_then(token), Some("tok_3"));
}

/// A store of the app's own that implements only what it must.
struct Silent;

impl TokenStore for Silent {
    fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        Ok(None)
    }
    fn save(&self, _: &PersistedState) -> Result<(), StoreError> {
        Ok(())
    }
    fn clear(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The memory store says it never blocks (the async driver calls it in its own task); the
/// file store, and a store that does not say, may (their calls go to a blocking thread).
#[test]
fn only_the_memory_store_says_it_never_blocks() {
    let dir = TempDir::new("may-block");
    let memory: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    assert!(!memory.may_block());
    assert!(!Box::new(Arc::clone(&memory)).may_block(), "the pointers answer for what they point to");
    assert!(FileStore::new(dir.path(), HOST).unwrap().may_block());
    assert!(Silent.may_block(), "a store of the app's own may block unless it says otherwise");
}

/// A file store names the host it keeps the state of (what the drivers compare with their
/// configuration's when they are built), through every pointer a driver may hold it by;
/// the memory store and a store of the app's own name none.
#[test]
fn only_the_file_store_names_the_host_it_is_for() {
    let dir = TempDir::new("host");
    let file: Arc<dyn TokenStore> = Arc::new(FileStore::new(dir.path(), HOST).unwrap());
    assert_eq!(file.frontend_api_host(), Some(HOST));
    assert_eq!(Box::new(Arc::clone(&file)).frontend_api_host(), Some(HOST), "the pointers answer for it");
    assert_eq!(Arc::new(MemoryStore::new()).frontend_api_host(), None);
    assert_eq!(Silent.frontend_api_host(), None);
}

/// `for_config` takes the host from the configuration the driver is built from, so the
/// user never types it (and never types `localhost` for a driver talking to `127.0.0.1`).
#[test]
fn a_file_store_for_a_configuration_is_for_the_host_it_talks_to() {
    use clerk_core::{ClientConfig, InstanceType};
    let dir = TempDir::new("for-config");
    let mock = ClientConfig::for_base_url("http://127.0.0.1:3000", InstanceType::Development).unwrap();
    let store = FileStore::for_config(dir.path(), &mock).unwrap();
    assert_eq!(store.frontend_api_host(), "127.0.0.1:3000");
    assert_eq!(store.path(), FileStore::new(dir.path(), "127.0.0.1:3000").unwrap().path(), "the same file");

    let real = ClientConfig::from_publishable_key("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk").unwrap();
    let store = FileStore::for_config(dir.path(), &real).unwrap();
    assert_eq!(TokenStore::frontend_api_host(&store), Some("foo-bar-13.clerk.accounts.dev"));

    // The URL where the host belongs is refused, with the way to the host.
    match FileStore::new(dir.path(), "http://127.0.0.1:3000") {
        Err(error @ StoreError::InvalidName { .. }) => {
            assert!(error.to_string().contains("FileStore::for_config"), "{error}");
        }
        other => panic!("a URL named a store file: {other:?}"),
    }
}

#[test]
fn file_store_round_trips_the_state_and_token_across_instances() {
    let dir = TempDir::new("round-trip");
    let store = FileStore::new(dir.path().join("nested/state"), HOST).unwrap();
    assert_eq!(store.load().unwrap(), None, "an empty directory holds no state");
    let state = state_with_token("client_token_value");
    store.save(&state).unwrap();
    assert_eq!(store.generation(), Some(1));

    let reopened = FileStore::new(dir.path().join("nested/state"), HOST).unwrap();
    let loaded = reopened.load().unwrap().unwrap();
    assert_eq!(loaded, state);
    assert_eq!(token(&loaded), Some("client_token_value"), "the token itself is stored, not a placeholder");
    assert_eq!(reopened.generation(), Some(1));
    assert_eq!(store.path().file_name().and_then(|n| n.to_str()), Some("client-foo-bar-13.clerk.accounts.dev.json"));

    reopened.save(&state_with_token("rotated")).unwrap();
    assert_eq!(reopened.generation(), Some(2));
    reopened.clear().unwrap();
    assert_eq!(reopened.load().unwrap(), None);
    assert_eq!(FileStore::new(dir.path().join("nested/state"), HOST).unwrap().load().unwrap(), None);
}

#[cfg(unix)]
#[test]
fn files_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("mode");
    let store = FileStore::new(dir.path().join("state"), HOST).unwrap();
    store.save(&state_with_token("tok")).unwrap();
    let mode = |path: &std::path::Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(store.lock_path()), 0o600);
    assert_eq!(mode(store.dir()), 0o700);
    // A file a user loosened by hand is replaced by a private one on the next write.
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
    store.save(&state_with_token("tok2")).unwrap();
    assert_eq!(mode(store.path()), 0o600);
}

/// A directory others can write to could hold a state planted by one of them (a client
/// token they know, so they would share the session signed in on it): refused, with
/// nothing read or written, as are a symlinked state and a state file others can write.
#[cfg(unix)]
#[test]
fn a_state_others_could_have_planted_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("shared");
    let shared = dir.path().join("shared");
    fs::create_dir_all(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    match FileStore::new(&shared, HOST) {
        Err(StoreError::NotPrivate { path, reason }) => {
            assert_eq!(path, shared);
            assert!(reason.contains("other users can write to it (mode 777)"), "{reason}");
        }
        other => panic!("a world-writable directory was used: {other:?}"),
    }
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    match FileStore::new(&shared, HOST) {
        // A shared directory, as /tmp is: `chmod go-w` would break it for everyone else.
        Err(StoreError::NotPrivate { reason, .. }) => {
            assert!(reason.contains("mode 1777") && reason.contains("private subdirectory"), "{reason}");
            assert!(!reason.contains("chmod"), "{reason}");
        }
        other => panic!("a sticky world-writable directory was used: {other:?}"),
    }

    // In a private directory: a state file that is a symbolic link, or writable by others.
    let store = FileStore::new(dir.path().join("private"), HOST).unwrap();
    let elsewhere = FileStore::new(dir.path().join("elsewhere"), HOST).unwrap();
    elsewhere.save(&state_with_token("planted-token")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), store.path()).unwrap();
    assert!(matches!(store.load(), Err(StoreError::NotPrivate { .. })), "a symlinked state was read");
    assert!(matches!(store.save(&state_with_token("mine")), Err(StoreError::NotPrivate { .. })));
    assert_eq!(elsewhere.load().unwrap().as_ref().and_then(token), Some("planted-token"), "the target is untouched");
    fs::remove_file(store.path()).unwrap();

    store.save(&state_with_token("mine")).unwrap();
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o666)).unwrap();
    let error = store.load().expect_err("a state others can write is not trusted");
    assert!(error.to_string().contains("other users can write to it (mode 666)"), "{error}");
}

#[test]
fn a_crashed_write_leaves_only_an_ignored_temp_file() {
    let dir = TempDir::new("crash");
    let store = FileStore::new(dir.path(), HOST).unwrap();
    // A writer that died after writing half its temp file, before the rename.
    let leftover = dir.path().join(format!(".{}.4242.0.tmp", store.path().file_name().unwrap().to_str().unwrap()));
    fs::write(&leftover, br#"{"format_version":1,"frontend_api_host":"foo-bar-13.clerk"#).unwrap();
    assert_eq!(store.load().unwrap(), None, "the partial file is not the store file");

    store.save(&state_with_token("good")).unwrap();
    fs::write(&leftover, b"{\"partial").unwrap();
    assert_eq!(store.load().unwrap().as_ref().and_then(token), Some("good"));

    store.save(&state_with_token("better")).unwrap();
    assert!(!leftover.exists(), "the next write removes leftovers");
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "only the state file and its lock: {names:?}");
}

#[test]
fn a_corrupt_file_is_a_typed_error_and_is_never_overwritten_by_save() {
    let dir = TempDir::new("corrupt");
    let store = FileStore::new(dir.path(), HOST).unwrap();
    let cases: [&[u8]; 5] = [
        b"not json at all",
        br#"{"format_version":1,"frontend_api_host":"foo-bar-13.clerk.accounts.dev","generation":"#,
        br#"{"format_version":99,"frontend_api_host":"foo-bar-13.clerk.accounts.dev","generation":1,"state":null}"#,
        br#"{"some":"other program's file"}"#,
        br#"{"format_version":1,"frontend_api_host":"foo-bar-13.clerk.accounts.dev","generation":1,"state":{"version":7,"frontend_api_host":"foo-bar-13.clerk.accounts.dev"}}"#,
    ];
    for bytes in cases {
        fs::write(store.path(), bytes).unwrap();
        let error = store.load().unwrap_err();
        assert!(
            matches!(&error, StoreError::Corrupt { path, .. } if path == store.path()),
            "{error:?} for {}",
            String::from_utf8_lossy(bytes)
        );
        let error = store.save(&state_with_token("new")).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
        assert_eq!(fs::read(store.path()).unwrap(), bytes, "nothing lost");
    }
    let reason = match store.load() {
        Err(StoreError::Corrupt { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    assert!(reason.contains("version 7"), "{reason}");

    // Only a deliberate replace (or clear) overwrites it.
    store.replace(&state_with_token("chosen")).unwrap();
    assert_eq!(store.load().unwrap().as_ref().and_then(token), Some("chosen"));
    fs::write(store.path(), b"garbage").unwrap();
    store.clear().unwrap();
    assert_eq!(store.load().unwrap(), None);
    store.save(&state_with_token("fresh")).unwrap();
}

#[test]
fn a_corrupt_reason_never_quotes_the_file() {
    let dir = TempDir::new("corrupt-reason");
    let store = FileStore::new(dir.path(), HOST).unwrap();
    let secret = "tok_SECRET_canary_in_a_bad_file";
    fs::write(
        store.path(),
        format!(r#"{{"format_version":1,"frontend_api_host":"{HOST}","generation":1,"state":{{"version":1,"frontend_api_host":"{HOST}","client_token":"{secret}","next_request_id":"x"}}}}"#),
    )
    .unwrap();
    let error = store.load().unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(!error.to_string().contains(secret) && !format!("{error:?}").contains(secret), "{error}");
}

#[test]
fn a_file_for_another_host_is_refused_and_kept() {
    let dir = TempDir::new("foreign");
    let real = FileStore::new(dir.path(), "clerk.example.com").unwrap();
    let mut real_state = state_with_token("real-token");
    real_state.frontend_api_host = "clerk.example.com".into();
    real.save(&real_state).unwrap();

    // The mock's store finds the real host's file where its own should be.
    let mock = FileStore::new(dir.path(), "localhost:3000").unwrap();
    assert_eq!(mock.path().file_name().and_then(|n| n.to_str()), Some("client-localhost_3A3000.json"));
    let original = fs::read(real.path()).unwrap();
    fs::write(mock.path(), &original).unwrap();
    let expected_error = |error: StoreError| {
        assert!(
            matches!(&error, StoreError::ForeignHost { path, expected, found }
                if path == mock.path() && expected == "localhost:3000" && found == "clerk.example.com"),
            "{error:?}"
        );
        // The message says whose state the file holds, which host the store (and so its
        // driver) is for, and what to do.
        let message = error.to_string();
        assert!(
            message.contains(r#"holds the client state of Frontend API host "clerk.example.com""#)
                && message.contains(r#"this store is for "localhost:3000", the host its driver talks to"#)
                && message.contains("delete that file"),
            "{message}"
        );
    };
    expected_error(mock.load().unwrap_err());
    let mut mock_state = state_with_token("mock-token");
    mock_state.frontend_api_host = "localhost:3000".into();
    expected_error(mock.save(&mock_state).unwrap_err());
    assert_eq!(fs::read(mock.path()).unwrap(), original);

    // A state for another host is never written into this host's file: the engine that
    // exported it talks to another host than the one the store was built for.
    let error = real.save(&mock_state).unwrap_err();
    assert!(
        matches!(&error, StoreError::StateForAnotherHost { store_host, state_host }
            if store_host == "clerk.example.com" && state_host == "localhost:3000"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(r#"belongs to Frontend API host "localhost:3000", the host the driver talks to"#)
            && message.contains(r#"this store keeps the state of "clerk.example.com""#)
            && message.contains("FileStore::for_config"),
        "{message}"
    );
    assert!(matches!(real.replace(&mock_state), Err(StoreError::StateForAnotherHost { .. })));
    assert_eq!(real.load().unwrap().as_ref().and_then(token), Some("real-token"));
}

#[test]
fn hosts_that_would_escape_the_directory_are_refused() {
    let dir = TempDir::new("escape");
    for host in ["", ".", "..", "../evil", "a/b", "a\\b", "evil\0"] {
        let result = FileStore::new(dir.path().join("inside"), host);
        assert!(matches!(result, Err(StoreError::InvalidName { .. })), "{host:?}");
    }
    assert!(!dir.path().exists(), "nothing created for a refused host");
}

#[test]
fn a_stale_process_cannot_overwrite_a_rotated_token() {
    let dir = TempDir::new("conflict");
    let process_a = FileStore::new(dir.path(), HOST).unwrap();
    let process_b = FileStore::new(dir.path(), HOST).unwrap();
    process_a.save(&state_with_token("token-1")).unwrap();
    assert_eq!(process_b.load().unwrap().as_ref().and_then(token), Some("token-1"));

    // A's request rotated the token; B still works from token-1.
    process_a.save(&state_with_token("token-2-rotated")).unwrap();
    let on_disk_before = fs::read(process_a.path()).unwrap();
    match process_b.save(&state_with_token("token-1")) {
        Err(StoreError::Conflict { on_disk: Some(state), generation }) => {
            assert_eq!(*state, state_with_token("token-2-rotated"), "B is handed A's newer state");
            assert_eq!(generation, 2);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(fs::read(process_a.path()).unwrap(), on_disk_before, "the file is still A's");

    // Having been handed A's state, B's next save (from a client restored from it) goes through.
    process_b.save(&state_with_token("token-3-from-b")).unwrap();
    assert_eq!(process_b.generation(), Some(3));
    // Now A is the stale one.
    assert!(matches!(process_a.save(&state_with_token("token-2-rotated")), Err(StoreError::Conflict { .. })));

    // A store that never loaded does not clobber an existing token either.
    let newcomer = FileStore::new(dir.path(), HOST).unwrap();
    assert!(matches!(newcomer.save(&state_with_token("other")), Err(StoreError::Conflict { .. })));

    // A clear by one process is not undone by another's stale save.
    process_b.clear().unwrap();
    match process_a.save(&state_with_token("token-3-from-b")) {
        Err(StoreError::Conflict { on_disk: None, generation }) => assert_eq!(generation, 4),
        other => panic!("expected a conflict with a cleared store, got {other:?}"),
    }
    assert_eq!(process_b.load().unwrap(), None);
}

#[test]
fn concurrent_read_modify_writes_lose_no_update() {
    let dir = TempDir::new("contention");
    FileStore::new(dir.path(), HOST).unwrap().save(&state_with_token("t")).unwrap();
    const THREADS: usize = 4;
    const ROUNDS: u64 = 25;
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let path = dir.path().to_owned();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                // Each thread is its own "process": its own store instance, its own lock handle.
                let store = FileStore::new(path, HOST).unwrap();
                barrier.wait();
                let mut conflicts = 0;
                for _ in 0..ROUNDS {
                    let mut state = store.load().unwrap().unwrap();
                    loop {
                        state.next_request_id += 1;
                        match store.save(&state) {
                            Ok(()) => break,
                            Err(StoreError::Conflict { on_disk: Some(newer), .. }) => {
                                conflicts += 1;
                                state = *newer;
                            }
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let conflicts: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let last = FileStore::new(dir.path(), HOST).unwrap().load().unwrap().unwrap();
    let start = state_with_token("t").next_request_id;
    assert_eq!(
        last.next_request_id - start,
        THREADS as u64 * ROUNDS,
        "every increment survived ({conflicts} conflicts)"
    );
}

#[test]
fn a_save_waits_for_the_lock_held_by_another_process() {
    let dir = TempDir::new("lock");
    let store = FileStore::new(dir.path(), HOST).unwrap();
    store.save(&state_with_token("before")).unwrap();
    // Another process holds the lock (a separate open file handle).
    let other = fs::OpenOptions::new().read(true).write(true).open(store.lock_path()).unwrap();
    other.lock().unwrap();

    let (done_tx, done_rx) = mpsc::channel();
    let path = dir.path().to_owned();
    let writer = std::thread::spawn(move || {
        let store = FileStore::new(path, HOST).unwrap();
        let _ = store.load();
        let result = store.save(&state_with_token("after"));
        done_tx.send(result.is_ok()).unwrap();
    });
    assert!(done_rx.recv_timeout(Duration::from_millis(300)).is_err(), "the save waited for the lock");
    other.unlock().unwrap();
    assert_eq!(done_rx.recv_timeout(Duration::from_secs(10)), Ok(true));
    writer.join().unwrap();
    assert_eq!(store.load().unwrap().as_ref().and_then(token), Some("after"));
}

#[test]
fn a_stale_process_cannot_clear_a_rotated_token() {
    let dir = TempDir::new("stale-clear");
    let a = FileStore::new(dir.path(), HOST).unwrap();
    let b = FileStore::new(dir.path(), HOST).unwrap();
    a.save(&state_with_token("token-1")).unwrap();
    assert_eq!(b.load().unwrap().as_ref().and_then(token), Some("token-1"));
    // A rotates; B, still at the old state, destroys its client and clears.
    a.save(&state_with_token("token-2-rotated")).unwrap();
    match b.clear() {
        Err(StoreError::Conflict { on_disk: Some(on_disk), .. }) => {
            assert_eq!(token(&on_disk), Some("token-2-rotated"))
        }
        other => panic!("a stale clear was not refused: {other:?}"),
    }
    assert_eq!(a.load().unwrap().as_ref().and_then(token), Some("token-2-rotated"), "the rotated token was wiped");
    // Having seen the newer state, B may clear it.
    b.clear().unwrap();
    assert!(a.load().unwrap().is_none());
}

#[test]
fn peeking_at_the_token_does_not_count_as_having_seen_a_newer_state() {
    let dir = TempDir::new("peek");
    let a = FileStore::new(dir.path(), HOST).unwrap();
    let b = FileStore::new(dir.path(), HOST).unwrap();
    let older = state_with_token("same-token");
    a.save(&older).unwrap();
    b.load().unwrap();
    // B saves a newer state with the same token (it signed a session out).
    let mut newer = state_with_token("same-token");
    newer.epoch += 1;
    b.save(&newer).unwrap();
    // A peeks (as a driver does before each call), then tries to save its older state.
    assert_eq!(a.client_token().unwrap().as_ref().map(|t| t.expose()), Some("same-token"));
    assert!(matches!(a.save(&older), Err(StoreError::Conflict { .. })), "B's newer state would be overwritten");
    assert_eq!(b.load().unwrap(), Some(newer));
}

#[test]
fn a_save_leaves_another_hosts_temporary_files_alone() {
    let dir = TempDir::new("sweep");
    let short = FileStore::new(dir.path(), "h.example").unwrap();
    let longer = FileStore::new(dir.path(), "h.example.json.x").unwrap();
    let file_name = longer.path().file_name().and_then(|name| name.to_str()).unwrap().to_owned();
    // A write of the longer-named host in progress (its own lock guards it).
    let in_flight = dir.path().join(format!(".{file_name}.99999.0.tmp"));
    fs::write(&in_flight, b"in flight").unwrap();
    let mut state = state_with_token("t");
    state.frontend_api_host = String::from("h.example");
    short.save(&state).unwrap();
    assert!(in_flight.exists(), "h.example's save removed h.example.json.x's temporary file");
}

/// Another process's lock on the store file (a handle of its own, as a second process has).
fn hold_lock(store: &FileStore, exclusive: bool) -> fs::File {
    let file = fs::OpenOptions::new().read(true).write(true).open(store.lock_path()).unwrap();
    if exclusive {
        file.lock().unwrap()
    } else {
        file.lock_shared().unwrap()
    }
    file
}

/// A process that keeps the lock (stopped in a debugger, suspended) makes every operation
/// give up after the store's time limit with a typed error, and the state on disk is
/// exactly what it was: the caller is never left waiting for ever.
#[test]
fn a_lock_kept_past_the_time_limit_is_a_typed_error_that_changes_nothing() {
    let dir = TempDir::new("lock-kept");
    let store = FileStore::new(dir.path(), HOST).unwrap().with_lock_timeout(Duration::from_millis(30));
    store.save(&state_with_token("before")).unwrap();
    let holder = hold_lock(&store, true);

    let locked = |result: Result<(), StoreError>| match result {
        Err(StoreError::Locked { path, waited }) => {
            assert_eq!(path, store.lock_path());
            assert!(waited >= Duration::from_millis(30), "gave up after {waited:?}, before its time limit");
        }
        other => panic!("expected Locked, got {other:?}"),
    };
    locked(store.save(&state_with_token("after")));
    locked(store.clear());
    locked(store.load().map(drop));
    locked(store.client_token().map(drop));
    locked(store.replace(&state_with_token("forced")));
    let message = store.save(&state_with_token("after")).unwrap_err().to_string();
    assert!(message.contains("locked by another process") && message.contains("nothing was read or written"));

    drop(holder);
    assert_eq!(store.load().unwrap().as_ref().and_then(token), Some("before"), "nothing was written");
    store.save(&state_with_token("after")).unwrap();
    assert_eq!(store.generation(), Some(2), "the refused writes took no generation");
}

/// Readers share the lock: a process reading the store does not hold up another's read,
/// only its write. A time limit of zero tries exactly once.
#[test]
fn a_shared_lock_lets_reads_through_and_holds_writes_back() {
    let dir = TempDir::new("lock-shared");
    let store = FileStore::new(dir.path(), HOST).unwrap().with_lock_timeout(Duration::ZERO);
    store.save(&state_with_token("t")).unwrap();
    let reader = hold_lock(&store, false);
    assert_eq!(store.load().unwrap().as_ref().and_then(token), Some("t"));
    assert!(matches!(store.save(&state_with_token("u")), Err(StoreError::Locked { .. })));
    drop(reader);
    store.save(&state_with_token("u")).unwrap();
}

/// A lock released while the store waits for it is taken: the wait is a wait, not a
/// single try.
#[test]
fn a_lock_released_during_the_wait_is_taken() {
    let dir = TempDir::new("lock-released");
    let store = FileStore::new(dir.path(), HOST).unwrap();
    assert_eq!(store.lock_timeout(), clerk_store::DEFAULT_LOCK_TIMEOUT);
    store.save(&state_with_token("before")).unwrap();
    let holder = hold_lock(&store, true);
    let (held, release) = mpsc::channel::<()>();
    let other_process = std::thread::spawn(move || {
        // Let go once the store is (very likely) waiting; the test holds either way.
        let _ = release.recv_timeout(Duration::from_millis(100));
        drop(holder);
    });
    store.save(&state_with_token("after")).unwrap();
    drop(held);
    other_process.join().unwrap();
    assert_eq!(store.load().unwrap().as_ref().and_then(token), Some("after"));
}
