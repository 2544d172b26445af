export interface StoredImage {
  id: string;
  contentType: string;
  bytes: Uint8Array;
  sha256: string;
  createdAt: Date;
}

export interface ImageStore {
  insert(image: StoredImage): Promise<void>;
  find(id: string): Promise<StoredImage | null>;
  exists(id: string): Promise<boolean>;
  delete(id: string): Promise<void>;
}
