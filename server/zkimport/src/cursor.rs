//! A jute [`Reader`] over a whole file's bytes that turns every decoding
//! failure into an [`ImportError`] naming the file and the offset where
//! the failing field (or record) starts.

use std::path::Path;

use ringkeeper_jute::{DecodeError, Jute, NodeData, Reader};

use crate::error::{ImportError, ImportErrorKind};

pub(crate) struct FileCursor<'a> {
    file: &'a Path,
    bytes: &'a [u8],
    reader: Reader<'a>,
}

impl<'a> FileCursor<'a> {
    pub(crate) fn new(file: &'a Path, bytes: &'a [u8]) -> FileCursor<'a> {
        FileCursor {
            file,
            bytes,
            reader: Reader::new(bytes),
        }
    }

    /// Offset of the next byte to read.
    pub(crate) fn offset(&self) -> u64 {
        self.reader.position() as u64
    }

    pub(crate) fn remaining(&self) -> usize {
        self.reader.remaining()
    }

    /// The bytes from the start of the file to the cursor.
    pub(crate) fn consumed(&self) -> &'a [u8] {
        &self.bytes[..self.reader.position()]
    }

    pub(crate) fn error_at(&self, offset: u64, kind: ImportErrorKind) -> ImportError {
        ImportError::at(self.file, offset, kind)
    }

    /// Runs one read; a decoding failure names the offset the read began at.
    fn read<T>(
        &mut self,
        read: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<T, ImportError> {
        let offset = self.offset();
        read(&mut self.reader)
            .map_err(|error| self.error_at(offset, ImportErrorKind::Decode(error)))
    }

    pub(crate) fn int(&mut self, field: &'static str) -> Result<i32, ImportError> {
        self.read(|reader| reader.read_int(field))
    }

    pub(crate) fn long(&mut self, field: &'static str) -> Result<i64, ImportError> {
        self.read(|reader| reader.read_long(field))
    }

    /// A znode's data: ZooKeeper writes null data as length -1.
    pub(crate) fn node_data(&mut self, field: &'static str) -> Result<NodeData, ImportError> {
        self.read(|reader| reader.read_node_data(field))
    }

    pub(crate) fn ustring(&mut self, field: &'static str) -> Result<String, ImportError> {
        self.read(|reader| reader.read_ustring(field))
    }

    pub(crate) fn record<T: Jute>(&mut self) -> Result<T, ImportError> {
        self.read(T::decode)
    }

    /// A jute vector, its count checked against the bytes that remain
    /// (`min_element_bytes` each) before anything is allocated.
    pub(crate) fn vector<T>(
        &mut self,
        field: &'static str,
        min_element_bytes: usize,
        decode_one: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, ImportError> {
        self.read(|reader| reader.read_vector(field, min_element_bytes, decode_one))
    }
}
