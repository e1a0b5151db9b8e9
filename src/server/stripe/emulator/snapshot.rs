//! Keeping the emulator's state in a JSON file, so a demo that restarts still finds the payment
//! records Regio delivered. The file holds every object, the id counter and the finished
//! idempotent results; fault settings and counters stay out. A save writes `<path>.tmp` and then
//! renames it over the file, so a crash mid-save leaves the previous snapshot whole.

use super::idempotency::{Idempotency, Kept};
use super::store::Store;
use super::{Emulator, Inner, ids};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};

/// Saves happen at most this often; the changes made meanwhile go into the next one.
const SAVE_INTERVAL: Duration = Duration::from_secs(1);

/// Changed whenever the layout changes, so an old file is refused rather than misread.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File<S> {
    format: u32,
    next_id: u64,
    store: S,
    idempotency: Vec<Kept>,
}

/// What a snapshot file restores.
#[derive(Default)]
pub struct Restored {
    pub store: Store,
    pub idempotency: Idempotency,
}

/// Reads the snapshot at `path` and moves the id counter past the ids it holds. A missing file is
/// a fresh start (its folder is made now, so that saving can only fail if it is removed later);
/// any other failure is an error naming `path`, so no saved data is dropped.
pub fn open(path: &Path) -> io::Result<Option<Restored>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(folder).map_err(|e| about(path, e))?;
            }
            return Ok(None);
        }
        Err(e) => return Err(about(path, e)),
    };
    let invalid = |message: String| about(path, io::Error::new(io::ErrorKind::InvalidData, format!("not an emulator snapshot: {message}")));
    let file: File<Store> = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    if file.format != FORMAT {
        return Err(invalid(format!("format {} where {FORMAT} is expected", file.format)));
    }
    let idempotency = Idempotency::restored(file.idempotency).map_err(invalid)?;
    ids::continue_from(file.next_id);
    Ok(Some(Restored { store: file.store, idempotency }))
}

/// Where an emulator saves, and the signal that it has something new to save.
pub struct Saver {
    path: PathBuf,
    changes: mpsc::Sender<()>,
    /// Held from reading the state to renaming the file, so an older state never replaces a
    /// newer one.
    writing: Mutex<()>,
}

impl Saver {
    /// The saver, and the receiving end of its change signal for `keep_saving`.
    pub fn new(path: PathBuf) -> (Self, mpsc::Receiver<()>) {
        // One pending signal is enough: the save it triggers includes every change before it.
        let (changes, received) = mpsc::channel(1);
        (Saver { path, changes, writing: Mutex::new(()) }, received)
    }

    pub fn changed(&self) {
        // A full channel means a save is already due.
        let _ = self.changes.try_send(());
    }

    pub async fn save(&self, store: &Mutex<Store>, idempotency: &Idempotency) -> io::Result<()> {
        let _writing = self.writing.lock().await;
        let bytes = {
            let store = store.lock().await;
            let file = File { format: FORMAT, next_id: ids::next_counter(), store: &*store, idempotency: idempotency.kept() };
            serde_json::to_vec(&file).map_err(io::Error::other)?
        };
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || replace(&path, &bytes).map_err(|e| about(&path, e))).await.map_err(io::Error::other)?
    }
}

/// Saves after each change, at most once per `SAVE_INTERVAL`, until the emulator is dropped
/// (which closes the channel).
pub async fn keep_saving(emulator: Weak<Inner>, mut changes: mpsc::Receiver<()>) {
    while changes.recv().await.is_some() {
        let Some(inner) = emulator.upgrade() else { return };
        if let Err(e) = (Emulator { inner }).flush().await {
            tracing::warn!(error = %e, "Stripe emulator snapshot not saved");
        }
        tokio::time::sleep(SAVE_INTERVAL).await;
    }
}

fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}

fn about(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}
