//! `JavaBuild`: compile the Java scenario program against Apache ZooKeeper's client jar once per
//! source content, and build the `java` command that runs it.
//!
//! The class directory is named after an FNV-1a hash of every `.java` file (name and bytes), so
//! an edit recompiles and parallel tests share one build: each compiles into its own temporary
//! directory and renames it into place; a lost race keeps the winner's identical classes.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::program_run::ProgramRun;

/// Debian's ZooKeeper client and server jar; its manifest Class-Path names the jars it needs
/// (jute, netty, slf4j-api...), which both javac and java follow.
pub const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
/// How long one javac run may take on a busy two-core machine.
pub const JAVAC_TIMEOUT: Duration = Duration::from_secs(180);
/// Java source files a scenario directory may hold.
const JAVA_SOURCES_MAX: usize = 64;

/// A compiled class directory.
#[derive(Clone, Debug)]
pub struct JavaBuild {
    pub class_dir: PathBuf,
}

impl JavaBuild {
    /// Compiles every `.java` file of `source_dir` into `cache_root/java-<hash>` unless that
    /// directory exists already.
    pub fn compile_cached(source_dir: &Path, cache_root: &Path) -> io::Result<JavaBuild> {
        if !Path::new(ZOOKEEPER_JAR).exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{ZOOKEEPER_JAR} is missing: apt-get install zookeeper"),
            ));
        }
        let sources = java_sources(source_dir)?;
        let class_dir = cache_root.join(format!("java-{:016x}", content_hash(&sources)?));
        if class_dir.is_dir() {
            return Ok(JavaBuild { class_dir });
        }
        fs::create_dir_all(cache_root)?;
        let staging = cache_root
            .join(format!(
                "staging-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ))
            .with_extension("tmp");
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        let mut javac = Command::new("javac");
        javac
            .arg("-nowarn")
            .arg("-encoding")
            .arg("UTF-8")
            .arg("-cp")
            .arg(ZOOKEEPER_JAR)
            .arg("-d")
            .arg(&staging);
        javac.args(&sources);
        let run = ProgramRun::run(&mut javac, JAVAC_TIMEOUT)?;
        if !run.succeeded() {
            let _ = fs::remove_dir_all(&staging);
            return Err(io::Error::other(format!("javac failed\n{}", run.report())));
        }
        if fs::rename(&staging, &class_dir).is_err() {
            // Another test renamed its identical build into place first.
            let _ = fs::remove_dir_all(&staging);
            if !class_dir.is_dir() {
                return Err(io::Error::other(format!(
                    "cannot move javac output to {}",
                    class_dir.display()
                )));
            }
        }
        Ok(JavaBuild { class_dir })
    }

    /// `java -cp <classes>:zookeeper.jar <main_class>`; add the program's arguments.
    pub fn command(&self, main_class: &str) -> Command {
        let mut java = Command::new("java");
        java.arg("-Xmx256m")
            .arg("-XX:+UseSerialGC")
            .arg("-XX:TieredStopAtLevel=1")
            .arg("-cp")
            .arg(format!("{}:{ZOOKEEPER_JAR}", self.class_dir.display()))
            .arg(main_class);
        java
    }
}

fn java_sources(source_dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut sources = Vec::new();
    for entry in fs::read_dir(source_dir)? {
        let path = entry?.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "java")
        {
            sources.push(path);
        }
    }
    sources.sort();
    if sources.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no .java files in {}", source_dir.display()),
        ));
    }
    if sources.len() > JAVA_SOURCES_MAX {
        return Err(io::Error::other(format!(
            "{} has {} .java files, over JAVA_SOURCES_MAX ({JAVA_SOURCES_MAX})",
            source_dir.display(),
            sources.len()
        )));
    }
    Ok(sources)
}

/// FNV-1a (64 bit) over each file's name and bytes: stable across Rust versions, unlike
/// `DefaultHasher`, so the cache survives toolchain updates.
fn content_hash(sources: &[PathBuf]) -> io::Result<u64> {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = FNV_OFFSET;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    };
    for source in sources {
        feed(
            source
                .file_name()
                .map(|name| name.as_encoded_bytes())
                .unwrap_or_default(),
        );
        feed(&[0]);
        feed(&fs::read(source)?);
        feed(&[0]);
    }
    Ok(hash)
}
