import { runStorageCompliance } from '../test-support/storage-compliance';
import { MemoryStorage } from './memory';

runStorageCompliance('MemoryStorage', () => ({ storage: new MemoryStorage() }));
